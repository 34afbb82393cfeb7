package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Usage is what one child process cost, read from the kernel once it has exited.
type Usage struct {
	User, Sys time.Duration // CPU time of every thread of the child (wait4's rusage)
	MaxRSS    int64         // bytes: ru_maxrss of the child
	HWM       int64         // bytes: the last VmHWM read from /proc while it ran (0 = never read)
	Wall      time.Duration // from start to exit

	// What the plugin's Go runtime said at exit (K8SAUDIT_MEMPROFILE), on k8saudit rows.
	GoSys   int64 // bytes the Go runtime obtained from the OS (heap, stacks, metadata)
	GoNumGC int   // garbage collections
	GoAlloc int64 // bytes allocated over the whole run
}

// CPU is user plus system time.
func (u Usage) CPU() time.Duration { return u.User + u.Sys }

// Peak is the child's peak resident set: VmHWM, the high-water mark of the memory map the
// child got at exec, when it was read; otherwise ru_maxrss. ru_maxrss can also count the
// parent's own high-water mark, inherited through the vfork that os/exec uses, so it is an
// upper bound that matches VmHWM only while the parent stays smaller than the child.
func (u Usage) Peak() int64 {
	if u.HWM > 0 {
		return u.HWM
	}
	return u.MaxRSS
}

// Child is a started process whose cost is measured.
type Child struct {
	cmd   *exec.Cmd
	start time.Time
	done  chan struct{}
	err   error

	mu  sync.Mutex
	hwm int64
}

// Start starts cmd and samples its VmHWM every 50 ms until it exits.
func Start(cmd *exec.Cmd) (*Child, error) {
	c := &Child{cmd: cmd, done: make(chan struct{})}
	c.start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	go c.sample()
	return c, nil
}

func (c *Child) sample() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if v, ok := vmHWM(c.cmd.Process.Pid); ok {
			c.mu.Lock()
			c.hwm = max(c.hwm, v)
			c.mu.Unlock()
		}
		select {
		case <-c.done:
			return
		case <-t.C:
		}
	}
}

// Done is closed when the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Signal sends sig to the child.
func (c *Child) Signal(sig os.Signal) error { return c.cmd.Process.Signal(sig) }

// Wait waits for the child to exit, at most d (then kills it), and returns what it cost and
// its exit error.
func (c *Child) Wait(d time.Duration) (Usage, error) {
	select {
	case <-c.done:
	case <-time.After(d):
		_ = c.cmd.Process.Kill()
		<-c.done
		if c.err == nil {
			c.err = fmt.Errorf("killed after %s", d)
		}
	}
	u := Usage{Wall: time.Since(c.start)}
	if ru, ok := c.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && ru != nil {
		u.User = time.Duration(ru.Utime.Nano())
		u.Sys = time.Duration(ru.Stime.Nano())
		u.MaxRSS = ru.Maxrss * 1024 // Linux reports kilobytes
	}
	c.mu.Lock()
	u.HWM = c.hwm
	c.mu.Unlock()
	return u, c.err
}

// vmHWM reads the peak resident set of a running process from /proc/<pid>/status.
func vmHWM(pid int) (int64, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("VmHWM:")) {
			continue
		}
		f := bytes.Fields(line[len("VmHWM:"):])
		if len(f) < 1 {
			return 0, false
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		return kb * 1024, err == nil
	}
	return 0, false
}
