package harness

import (
	"fmt"
	"os"
	"path/filepath"
)

// runningNodeProc is node i's process, or an error when it is not running.
func (c *Cluster) runningNodeProc(i int) (*process, error) {
	n, err := c.node(i)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if n.proc == nil || n.proc.exited() {
		return nil, fmt.Errorf("harness: %s is not running", n.name)
	}
	return n.proc, nil
}

// FreezeNode sends node i SIGSTOP, which to its peers looks like a hung
// machine: connections are still accepted by the kernel, but nothing is
// answered. It returns once the process has stopped. ThawNode resumes it;
// StopNode, KillNode and Close also work on a frozen node.
func (c *Cluster) FreezeNode(i int) error {
	p, err := c.runningNodeProc(i)
	if err != nil {
		return err
	}
	return p.freeze()
}

// ThawNode sends node i SIGCONT, resuming a node frozen by FreezeNode (or by
// kill -STOP).
func (c *Cluster) ThawNode(i int) error {
	p, err := c.runningNodeProc(i)
	if err != nil {
		return err
	}
	return p.thaw()
}

// NodeFrozen reports whether node i's process exists but is stopped by a
// signal. On Linux the kernel is asked, so kill -STOP by hand counts too.
func (c *Cluster) NodeFrozen(i int) bool {
	p, err := c.runningNodeProc(i)
	return err == nil && p.isFrozen()
}

// WipeNodeData removes everything inside node i's data dir, as a node
// restarted on an empty or unmounted volume would find it. The node must be
// stopped (StopNode, KillNode, or crashed); the dir itself stays, so
// StartNode works afterwards.
func (c *Cluster) WipeNodeData(i int) error {
	n, err := c.node(i)
	if err != nil {
		return err
	}
	// Held throughout, so that no StartNode launches the node mid-wipe.
	c.mu.Lock()
	defer c.mu.Unlock()
	if n.proc != nil && !n.proc.exited() {
		return fmt.Errorf("harness: %s is running; stop it before wiping %s", n.name, n.dataDir)
	}
	entries, err := os.ReadDir(n.dataDir)
	if err != nil {
		return fmt.Errorf("harness: wipe %s: %w", n.name, err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(n.dataDir, e.Name())); err != nil {
			return fmt.Errorf("harness: wipe %s: %w", n.name, err)
		}
	}
	return nil
}
