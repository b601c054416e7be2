package storagepb

// AcceptedHeader is the response-header key a node sends, with the value
// "shard", as soon as it has read and checked a PutChunk stream's header,
// before any data: a gateway that sees it knows the call was taken, and
// one that sees the stream end instead learns the node's refusal while the
// call can still be retried, since no data has been spent on it. It is
// part of the gateway ↔ node contract beside storage.proto (written by
// hand; protoc leaves this file alone).
const AcceptedHeader = "sixfold-accepted"

// MaxMessageSize is the largest GetChunkRequest.message_size a node
// honours, and the data length of PutChunk's messages: 4 MiB, which every
// gateway's default receive limit admits.
const MaxMessageSize = 4 << 20
