// Package server is what the gateway's doors share: the Echo instance, its
// middleware (request ids, the per-request log line, client admission and
// rate limits, body pace, Retry-After), JSON error rendering, HTTP Basic
// auth and per-route authorization for /files and /admin, the open /health
// routes, and the mounts of the /files door (package filesapi), /admin,
// the console, and S3 on every other path.
package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/rs/zerolog"

	"sixfold/gateway/admission"
	"sixfold/gateway/auth"
	"sixfold/gateway/health"
	"sixfold/gateway/intake"
	"sixfold/gateway/objects"
	"sixfold/gateway/reqid"
	"sixfold/s3api/sigv4"
)

// Deps are the services the handlers call.
type Deps struct {
	Keys *auth.KeyStore
	// Authorize decides whether an access key may perform an IAM action
	// on a resource ARN; /admin asks it before its handlers run (the
	// /files door asks it per route, through Need). Optional: nil allows
	// every authenticated key.
	Authorize func(accessKey, action, resource string) bool
	// Files is the /files door; it registers its routes on a group that
	// already checks Basic credentials. Optional.
	Files  interface{ Register(g *echo.Group) }
	Health *health.Checker
	Log    zerolog.Logger
	// Pace bounds slow request bodies on both doors.
	Pace BodyPace
	// S3 serves every path the JSON door does not: the S3 API. Optional.
	S3 http.Handler
	// Metrics observes every request and counts the errors the JSON door
	// renders. Optional.
	Metrics RequestMetrics
	// Admin serves /admin behind the /files Basic auth. Optional.
	Admin AdminRoutes
	// Allowlist answers clients outside its networks 403 on every path,
	// in S3's XML on S3's paths. Optional: nil serves everyone.
	Allowlist *admission.Allowlist
	// Limiter rate-limits /files and /admin per access key, and callers
	// without valid credentials per client address (see rateLimited).
	// Optional: nil is no limit.
	Limiter *admission.Limiter
	// AuthFailures throttles credential guessing on /files and /admin
	// (429 SlowDown with Retry-After). Optional: nil is no throttle.
	AuthFailures *admission.AuthFailures
	// Console mounts the web console at /console. Optional.
	Console interface{ Register(e *echo.Echo) }
}

// ReservedNames are the first path segments the JSON door serves; the S3
// door must not let a bucket take them.
var ReservedNames = []string{"files", "health", "metrics", "admin", "console"}

// New builds the Echo instance with every door mounted.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = ErrorHandler
	e.Use(continueEmptyBodies)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		TargetHeader: echo.HeaderXRequestID,
	}))
	e.Use(requestLogger(d.Log))
	e.Use(recordClientIP)
	e.Use(retryAfterOn503)
	if d.Metrics != nil {
		e.Use(d.Metrics.Middleware())
		e.HTTPErrorHandler = countingErrors(d.Metrics)
	}
	if d.Allowlist != nil {
		e.Use(allowNetworks(d.Allowlist, d.S3 != nil))
	}
	e.Use(paceBodies(d.Pace))

	az := d.Authorize
	if d.Files != nil {
		d.Files.Register(e.Group("/files", limitHeaders, basicAuth(d.Keys, d.Limiter, d.AuthFailures)))
	}
	if d.Admin != nil {
		d.Admin.Register(e.Group("/admin", limitHeaders, basicAuth(d.Keys, d.Limiter, d.AuthFailures), Need(az, "admin:*", wholeCluster)))
	}

	if d.Console != nil {
		d.Console.Register(e)
	}
	e.GET("/health", healthHandler(d.Health))
	e.GET("/health/live", liveHandler)
	e.GET("/health/ready", readyHandler(d.Health))
	if d.S3 != nil {
		// Echo matches static routes before wildcards, so /files and
		// /health keep their handlers and every other path is S3's.
		s3 := echo.WrapHandler(detachUploads(d.S3))
		e.Any("/", s3)
		e.Any("/*", s3)
	}
	return e
}

// continueEmptyBodies sends the interim "100 Continue" to a request that
// expects it even when it has no body, which net/http sends only once a
// handler reads a body. botocore (the aws CLI, boto3) sends "Expect:
// 100-continue" with empty uploads too, and when such a request is
// answered without a 100 Continue it keeps that answer's status line for
// the connection's next request, which then never sees its own answer:
// the next upload on the connection hangs until the client's read timeout
// (60 s by default). It goes straight to the connection's writer: Echo's
// would take the 100 for the final status.
func continueEmptyBodies(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.ContentLength == 0 && r.ProtoMajor == 1 && r.ProtoMinor >= 1 &&
			strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
			c.Response().Writer.WriteHeader(http.StatusContinue)
		}
		return next(c)
	}
}

// recordClientIP puts the TCP peer's address in the request context, where
// the object service reads it for the upload sessions a request opens.
func recordClientIP(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(objects.WithClientIP(r.Context(), r.RemoteAddr)))
		return next(c)
	}
}

// requestLogger writes one line per request and puts a logger carrying the
// request id into the request's context for everything below. The URI is
// logged with presigned URLs' signatures and credentials cut out: the log
// outlives the URL's expiry and is read by more people than the URL was
// meant for.
func requestLogger(base zerolog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			req := c.Request()
			id := c.Response().Header().Get(echo.HeaderXRequestID)
			log := base.With().Str("request_id", id).Logger()
			c.SetRequest(req.WithContext(reqid.With(log.WithContext(req.Context()), id)))
			// Deferred so that the line is written even when an error
			// after the response started aborts the connection by panic.
			defer func() {
				res := c.Response()
				log.Info().
					Str("method", req.Method).
					Str("route", c.Path()).
					Str("uri", sigv4.RedactURI(req.RequestURI)).
					Int("status", res.Status).
					Int64("bytes_in", req.ContentLength).
					Int64("bytes_out", res.Size).
					Dur("duration", time.Since(start)).
					Msg("request")
			}()
			if err := next(c); err != nil {
				c.Error(err)
			}
			return nil
		}
	}
}

func basicAuth(keys *auth.KeyStore, limiter *admission.Limiter, failures *admission.AuthFailures) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			user, pass, ok := c.Request().BasicAuth()
			if len(user) > 128 {
				user = "" // a limiter key the client does not size
			}
			if blocked, wait := failures.Blocked(c.Request().RemoteAddr, user); blocked {
				return slowDown(c, wait, "too many failed authentications from this address or for this access key")
			}
			if !ok || !keys.Check(user, pass) {
				if ok {
					failures.Failed(c.Request().RemoteAddr, user)
				}
				if err := rateLimited(c, limiter, ""); err != nil {
					return err
				}
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Basic realm="sixfold"`)
				return NewError(401, "Unauthorized", "valid credentials are required (curl -u ACCESS_KEY:SECRET)")
			}
			if err := rateLimited(c, limiter, user); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// detachUploads gives S3 requests with a body the rule /files follows: a
// client that half-closes after its body is still answered, and only a
// failing body cancels the request (see intake.Detach).
func detachUploads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intake.HasBody(r) {
			next.ServeHTTP(w, r)
			return
		}
		r, cancel := intake.Detach(r)
		defer cancel()
		next.ServeHTTP(w, r)
	})
}
