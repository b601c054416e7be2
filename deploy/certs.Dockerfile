# syntax=docker/dockerfile:1
#
# The one-shot job that issues the cluster's certificates for compose
# (sixfold-certs, as `make certs` runs it): a CA, the gateway's client
# certificate (CN sixfold-gateway, the only identity nodes let move chunks)
# and one server+client certificate per storage node. It writes them into
# the certs volume as the non-root user every sixfold image runs as, so the
# 0600 keys are readable by the containers that mount it and by no one else.
# Build context = the repository root (go.work).

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false

# The same module block as gateway/ and storagenode/Dockerfile, so the
# dependency layer is shared.
COPY go.work go.work.sum* ./
COPY proto/go.mod proto/go.sum* proto/
COPY migrations/go.mod migrations/go.sum* migrations/
COPY db/go.mod db/go.sum* db/
COPY storagenode/go.mod storagenode/go.sum* storagenode/
COPY gateway/go.mod gateway/go.sum* gateway/
COPY e2e/go.mod e2e/go.sum* e2e/
COPY s3api/go.mod s3api/go.sum* s3api/
RUN go mod download

COPY e2e/certs/ e2e/certs/
COPY e2e/cmd/sixfold-certs/ e2e/cmd/sixfold-certs/
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags='-s -w' -o /out/ ./e2e/cmd/sixfold-certs \
    && mkdir -p /out/certs

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sixfold-certs /usr/local/bin/
# An empty named volume mounted at /certs takes this ownership.
COPY --from=build --chown=65532:65532 /out/certs /certs
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/sixfold-certs"]
CMD ["-dir", "/certs"]
