package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"sixfold/e2e/harness"
)

// The control commands a running sixfold-dev answers.
const (
	opStatus  = "status"
	opRestart = "restart"
	opStop    = "stop"
)

const (
	socketName = "sixfold-dev.sock"
	// maxSocketPath keeps under the smallest sun_path in use (104 bytes on
	// the BSDs, 108 on Linux, terminating NUL included).
	maxSocketPath = 100
	// controlTimeout bounds one command: a restart waits for the member to
	// serve, which the harness bounds by its 60 s ready timeout.
	controlTimeout = 3 * time.Minute
)

// controlRequest is one line of JSON from a client.
type controlRequest struct {
	Op     string `json:"op"`
	Member string `json:"member,omitempty"`
}

// controlReply is the server's one JSON answer.
type controlReply struct {
	Message string           `json:"message,omitempty"`
	Error   string           `json:"error,omitempty"`
	Members []harness.Member `json:"members,omitempty"`
}

// socketPath is where the sixfold-dev running in dir listens. A dir too deep
// for a socket path gets a name under the temp dir derived from dir, so that
// clients find it from dir alone, with no file to read first.
func socketPath(dir string) string {
	if p := filepath.Join(dir, socketName); len(p) <= maxSocketPath {
		return p
	}
	sum := sha256.Sum256([]byte(dir))
	return filepath.Join(os.TempDir(), fmt.Sprintf("sixfold-dev-%x.sock", sum[:8]))
}

// listenControl takes dir's control socket. A socket that answers belongs
// to another sixfold-dev using dir, which must not be disturbed; one that
// does not is left over from a sixfold-dev that was killed, and is replaced.
func listenControl(dir string) (*net.UnixListener, error) {
	path := socketPath(dir)
	if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
		conn.Close()
		return nil, fmt.Errorf("another sixfold-dev is already running with -dir %s (it answers on %s)", dir, path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// Whoever may connect may stop and restart the cluster: its user alone.
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return l, nil
}

// controller is what the control socket drives.
type controller interface {
	members() []harness.Member
	restart(ctx context.Context, name string) (string, error)
	stop(name string) (string, error)
}

// controlServer answers commands on a listener until closed.
type controlServer struct {
	l      net.Listener
	ctl    controller
	log    io.Writer          // where what the commands did is told
	cancel context.CancelFunc // ends the commands in progress
	wg     sync.WaitGroup     // the connection handlers
}

// serveControl answers on l in the background and tells log what every
// restart and stop did, so that the terminal running sixfold-dev shows why a
// member came and went; commands in progress end with ctx.
func serveControl(ctx context.Context, l net.Listener, ctl controller, log io.Writer) *controlServer {
	ctx, cancel := context.WithCancel(ctx)
	s := &controlServer{l: l, ctl: ctl, log: log, cancel: cancel}
	s.wg.Go(func() { s.accept(ctx) })
	return s
}

func (s *controlServer) accept(ctx context.Context) {
	for {
		conn, err := s.l.Accept()
		if err != nil {
			return // closed
		}
		s.wg.Go(func() { s.handle(ctx, conn) })
	}
}

// close stops accepting, removes the socket, cancels the commands in
// progress and waits for their handlers, so that nothing restarts a member
// while the cluster is being shut down.
func (s *controlServer) close() {
	s.l.Close()
	s.cancel()
	s.wg.Wait()
}

func (s *controlServer) handle(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(controlTimeout))
	var req controlRequest
	if err := json.NewDecoder(io.LimitReader(conn, 4<<10)).Decode(&req); err != nil {
		_ = json.NewEncoder(conn).Encode(controlReply{Error: "bad request: " + err.Error()})
		return
	}
	_ = json.NewEncoder(conn).Encode(s.do(ctx, req))
}

func (s *controlServer) do(ctx context.Context, req controlRequest) controlReply {
	var (
		msg string
		err error
	)
	switch req.Op {
	case opStatus:
	case opRestart:
		msg, err = s.ctl.restart(ctx, req.Member)
	case opStop:
		msg, err = s.ctl.stop(req.Member)
	default:
		err = fmt.Errorf("unknown command %q", req.Op)
	}
	reply := controlReply{Message: msg, Members: s.ctl.members()}
	if err != nil {
		reply.Error = err.Error()
	}
	if req.Op != opStatus {
		fmt.Fprintf(s.log, "sixfold-dev: %s %s: %s%s\n", req.Op, req.Member, reply.Message, reply.Error)
	}
	return reply
}

// controlCommand is the client side of status, restart and stop.
func controlCommand(w io.Writer, op string, args []string) (int, error) {
	dir, member, err := parseControlArgs(op, args)
	if err != nil {
		return 2, err
	}
	reply, err := sendControl(dir, controlRequest{Op: op, Member: member})
	if err != nil {
		return 1, err
	}
	if reply.Message != "" {
		fmt.Fprintln(w, reply.Message)
	}
	if op == opStatus {
		printMembers(w, reply.Members)
	}
	if reply.Error != "" {
		return 1, errors.New(reply.Error)
	}
	return 0, nil
}

// parseControlArgs takes -dir before or after MEMBER: both orders are what
// people type.
func parseControlArgs(op string, args []string) (dir, member string, err error) {
	fs := flag.NewFlagSet(op, flag.ContinueOnError)
	dirFlag := fs.String("dir", ".data", "the -dir of the running sixfold-dev")
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", "", err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	wantArgs := 1
	if op == opStatus {
		wantArgs = 0
	}
	if len(rest) != wantArgs {
		return "", "", errUsage
	}
	if dir, err = filepath.Abs(*dirFlag); err != nil {
		return "", "", err
	}
	if wantArgs == 1 {
		member = rest[0]
	}
	return dir, member, nil
}

func sendControl(dir string, req controlRequest) (controlReply, error) {
	path := socketPath(dir)
	conn, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return controlReply{}, explainDialError(dir, path, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(controlTimeout))
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return controlReply{}, fmt.Errorf("send to %s: %w", path, err)
	}
	var reply controlReply
	if err := json.NewDecoder(conn).Decode(&reply); err != nil {
		return controlReply{}, fmt.Errorf("no answer from %s: %w", path, err)
	}
	return reply, nil
}

func explainDialError(dir, path string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("no sixfold-dev is running with -dir %s (nothing answers on %s)", dir, path)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%s belongs to the user who started sixfold-dev; run this as that user: %w", path, err)
	default:
		return err
	}
}
