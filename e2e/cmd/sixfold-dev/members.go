package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"

	"sixfold/e2e/harness"
)

// devCluster is what run starts and must stop: the cluster, then PostgreSQL.
// It is also what the control socket drives.
type devCluster struct {
	dir     string
	pg      *harness.Postgres // nil when the cluster runs its own, or uses another's
	cluster *harness.Cluster
	self    string // how the user invoked this program, for the commands printed

	opMu sync.Mutex // serializes restart and stop, so two commands never race on one member
}

// postgres is the server sixfold-dev may restart, if any.
func (d *devCluster) postgres() *harness.Postgres {
	if d.pg != nil {
		return d.pg
	}
	return d.cluster.Postgres()
}

func (d *devCluster) members() []harness.Member {
	members := d.cluster.Members()
	if d.pg != nil {
		members = append(members, d.pg.Member())
	}
	return members
}

// nodeIndex finds storage-N among the cluster's nodes.
func (d *devCluster) nodeIndex(name string) (int, error) {
	for i := range d.cluster.NumNodes() {
		if d.cluster.NodeName(i) == name {
			return i, nil
		}
	}
	var names []string
	for _, m := range d.members() {
		names = append(names, m.Name)
	}
	return 0, fmt.Errorf("no member %q; members are %s", name, strings.Join(names, ", "))
}

func (d *devCluster) restart(ctx context.Context, name string) (string, error) {
	d.opMu.Lock()
	defer d.opMu.Unlock()
	if err := d.restartLocked(ctx, name); err != nil {
		return "", err
	}
	m := d.member(name)
	return fmt.Sprintf("%s is %s again: pid %d on %s", m.Name, m.State, m.PID, m.Addr), nil
}

// gatewayIndex maps "gateway" to 0 and "gateway-N" to N-1, for the
// gateways this cluster has.
func (d *devCluster) gatewayIndex(name string) (int, bool) {
	for i := range d.cluster.NumGateways() {
		if name == gatewayName(i) {
			return i, true
		}
	}
	return 0, false
}

func gatewayName(i int) string {
	if i == 0 {
		return "gateway"
	}
	return fmt.Sprintf("gateway-%d", i+1)
}

func (d *devCluster) restartLocked(ctx context.Context, name string) error {
	if i, ok := d.gatewayIndex(name); ok {
		return d.cluster.RestartGatewayAt(ctx, i)
	}
	switch name {
	case "postgres":
		pg := d.postgres()
		if pg == nil {
			return errors.New("this cluster's PostgreSQL is not run by sixfold-dev")
		}
		if pg.Running() {
			return pg.Restart(ctx)
		}
		return pg.Start(ctx)
	}
	i, err := d.nodeIndex(name)
	if err != nil {
		return err
	}
	if d.cluster.NodeRunning(i) {
		if err := d.cluster.StopNode(i); err != nil {
			return err
		}
	}
	return d.cluster.StartNode(ctx, i)
}

func (d *devCluster) stop(name string) (string, error) {
	d.opMu.Lock()
	defer d.opMu.Unlock()
	if err := d.stopLocked(name); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s stopped; bring it back with: %s", name, d.restartCommand(name)), nil
}

func (d *devCluster) stopLocked(name string) error {
	if i, ok := d.gatewayIndex(name); ok {
		return d.cluster.StopGatewayAt(i)
	}
	switch name {
	case "postgres":
		if pg := d.postgres(); pg != nil {
			return pg.Stop()
		}
		return errors.New("this cluster's PostgreSQL is not run by sixfold-dev")
	}
	i, err := d.nodeIndex(name)
	if err != nil {
		return err
	}
	if !d.cluster.NodeRunning(i) {
		return fmt.Errorf("%s is not running", name)
	}
	return d.cluster.StopNode(i)
}

func (d *devCluster) member(name string) harness.Member {
	for _, m := range d.members() {
		if m.Name == name {
			return m
		}
	}
	return harness.Member{Name: name}
}

func (d *devCluster) restartCommand(member string) string {
	return fmt.Sprintf("%s restart -dir %s %s", d.self, d.dir, member)
}

// supervise reports every member that dies until ctx ends, and leaves the
// others running: a user who kills a node wants to watch the cluster cope,
// not lose everything they were looking at.
func (d *devCluster) supervise(ctx context.Context, w io.Writer) {
	var pgCrashes <-chan error // nil, never ready, without a PostgreSQL of our own
	if pg := d.postgres(); pg != nil {
		pgCrashes = pg.Crashes()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case err := <-d.cluster.Crashes():
			d.reportCrash(w, err)
		case err := <-pgCrashes:
			d.reportCrash(w, err)
		}
	}
}

func (d *devCluster) reportCrash(w io.Writer, err error) {
	var crash *harness.CrashError
	if !errors.As(err, &crash) {
		fmt.Fprintln(w, "sixfold-dev:", err)
		return
	}
	fmt.Fprintf(w, "\nsixfold-dev: %s (pid %d) died: %s\n  log: %s\n", crash.Member, crash.PID, crash.Status, crash.LogPath)
	if !crash.Signaled { // it gave up by itself: the reason is at the end of its log
		fmt.Fprintf(w, "  last lines of its log:\n%s\n", crash.LogTail)
	}
	fmt.Fprintf(w, "  %s\n  bring it back with:  %s\n  (Ctrl-C stops everything)\n",
		d.crashConsequence(crash.Member), d.restartCommand(crash.Member))
}

// crashConsequence tells the user what still works without member.
func (d *devCluster) crashConsequence(member string) string {
	if i, ok := d.gatewayIndex(member); ok {
		others := ""
		if d.cluster.NumGateways() > 1 {
			others = "the other gateways, "
		}
		return fmt.Sprintf("%s answers nothing until then; %sPostgreSQL and the nodes keep running.", d.cluster.GatewayURLAt(i), others)
	}
	switch member {
	case "postgres":
		return "the gateway and nodes keep running, but without metadata requests fail (503) until then."
	default:
		return "the gateway, PostgreSQL and the other nodes keep serving."
	}
}

// printMembers writes one line per member: what a user needs to kill one by
// hand, follow its log, or see that it is gone.
func printMembers(w io.Writer, members []harness.Member) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  MEMBER\tPID\tSTATE\tADDRESS\tLOG")
	for _, m := range members {
		pid, state := "-", string(m.State)
		if m.PID != 0 {
			pid = strconv.Itoa(m.PID)
		}
		if m.Status != "" {
			state += " (" + m.Status + ")"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", m.Name, pid, state, m.Addr, m.LogPath)
	}
	tw.Flush()
}
