package harness

import "fmt"

// CrashError is what Cluster.Crashes and Postgres.Crashes yield: one member
// process that exited without the harness asking it to. Its message is the
// one those channels always carried; the fields let a caller such as
// sixfold-dev say the same thing in its own words.
type CrashError struct {
	Member   string // "gateway", "storage-3", "postgres"
	PID      int
	Status   string // as os/exec words it: "signal: killed", "exit status 1"
	Signaled bool   // ended by a signal (kill -9) rather than exiting itself
	LogPath  string
	LogTail  string // the last lines of the log, indented
}

func (e *CrashError) Error() string {
	return fmt.Sprintf("harness: %s exited unexpectedly (%s); last lines of %s:\n%s",
		e.Member, e.Status, e.LogPath, e.LogTail)
}

// crashTailLines is how much of the log a crash report carries.
const crashTailLines = 30

func (p *process) crash() *CrashError {
	return &CrashError{
		Member:   p.spec.name,
		PID:      p.pid(),
		Status:   p.exitStatus(),
		Signaled: p.signaled(),
		LogPath:  p.spec.logPath,
		LogTail:  logTail(p.spec.logPath, crashTailLines),
	}
}

// reportCrash sends p's crash on crashes once p exits, unless the harness
// asked it to exit.
func reportCrash(p *process, crashes chan<- error) {
	go func() {
		<-p.done
		if p.expected.Load() {
			return
		}
		select {
		case crashes <- p.crash():
		default: // nobody is listening and the buffer is full; the log has it
		}
	}()
}
