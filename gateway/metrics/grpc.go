package metrics

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// NodeCalls measures the gateway's gRPC calls to storage nodes. Its
// interceptors go on every node connection; the node label is the
// connection's target (the node's address). It is safe for concurrent use.
type NodeCalls struct {
	duration *prometheus.HistogramVec // node, method
	errors   *prometheus.CounterVec   // node, method, code
}

// NewNodeCalls registers the node-call metrics on reg.
func NewNodeCalls(reg prometheus.Registerer) *NodeCalls {
	m := &NodeCalls{
		duration: prometheus.NewHistogramVec(histogramOpts("node_request_duration_seconds",
			"gRPC calls to storage nodes, from start until the call's status is known (a stream's whole life), by node address and method."),
			[]string{"node", "method"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts(opts("node_request_errors_total",
			"gRPC calls to storage nodes that ended with a status other than OK, by node address, method and gRPC code.")),
			[]string{"node", "method", "code"}),
	}
	reg.MustRegister(m.duration, m.errors)
	return m
}

// UnaryInterceptor times unary calls.
func (m *NodeCalls) UnaryInterceptor() grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		c := m.begin(cc.Target(), method)
		err := invoker(ctx, method, req, reply, cc, opts...)
		c.end(err)
		return err
	}
}

// StreamInterceptor times streams until their status is known: the final
// RecvMsg, a failed SendMsg, or the end of the call's context when the
// caller abandons the stream (a download closed early).
func (m *NodeCalls) StreamInterceptor() grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		c := m.begin(cc.Target(), method)
		s, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			c.end(err)
			return nil, err
		}
		stop := context.AfterFunc(ctx, func() { c.end(ctx.Err()) })
		return &observedStream{ClientStream: s, call: c, stop: stop, serverStreams: desc.ServerStreams}, nil
	}
}

func (m *NodeCalls) begin(node, fullMethod string) *nodeCall {
	return &nodeCall{m: m, node: node, method: methodName(fullMethod), start: time.Now()}
}

// methodName drops the service from "/pkg.Service/Method": the gateway
// calls one service.
func methodName(fullMethod string) string {
	return fullMethod[strings.LastIndexByte(fullMethod, '/')+1:]
}

// nodeCall is one call in flight; end records it exactly once.
type nodeCall struct {
	m            *NodeCalls
	node, method string
	start        time.Time
	once         sync.Once
}

func (c *nodeCall) end(err error) {
	c.once.Do(func() {
		c.m.duration.WithLabelValues(c.node, c.method).Observe(time.Since(c.start).Seconds())
		if code := codeOf(err); code != codes.OK {
			c.m.errors.WithLabelValues(c.node, c.method, code.String()).Inc()
		}
	})
}

// codeOf is err's gRPC code; a bare context error (an abandoned stream)
// maps to Canceled or DeadlineExceeded.
func codeOf(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	if s, ok := status.FromError(err); ok {
		return s.Code()
	}
	return status.FromContextError(err).Code()
}

type observedStream struct {
	grpc.ClientStream
	call          *nodeCall
	stop          func() bool
	serverStreams bool
}

// SendMsg ends the call on an error with a status. io.EOF only says the
// stream is gone; its status comes from the RecvMsg the caller makes next.
func (s *observedStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err != nil && !errors.Is(err, io.EOF) {
		s.finish(err)
	}
	return err
}

// RecvMsg ends the call at io.EOF, at an error, or, for a stream with one
// response (client streaming), at that response.
func (s *observedStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	switch {
	case errors.Is(err, io.EOF):
		s.finish(nil)
	case err != nil:
		s.finish(err)
	case !s.serverStreams:
		s.finish(nil)
	}
	return err
}

func (s *observedStream) finish(err error) {
	s.stop()
	s.call.end(err)
}
