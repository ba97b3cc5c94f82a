package cli

import (
	"fmt"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// startOnOneCPU starts cmd from a thread allowed on one CPU only: the child inherits that
// affinity, and Go computes runtime.NumCPU from it. It says how many CPUs the child has, ""
// when that is as many as this process has.
func startOnOneCPU(cmd *exec.Cmd) (string, error) {
	if runtime.NumCPU() == 1 {
		return "", cmd.Start()
	}
	type result struct {
		cpus string
		err  error
	}
	done := make(chan result)
	go func() {
		// never unlocked: the thread ends with this goroutine, and its narrowed affinity with it
		runtime.LockOSThread()
		var all, one unix.CPUSet
		if err := unix.SchedGetaffinity(0, &all); err != nil {
			done <- result{"", cmd.Start()}
			return
		}
		for cpu := range 1024 {
			if all.IsSet(cpu) {
				one.Set(cpu)
				break
			}
		}
		if err := unix.SchedSetaffinity(0, &one); err != nil {
			done <- result{"", cmd.Start()}
			return
		}
		done <- result{fmt.Sprintf("1 CPU, this one %d", runtime.NumCPU()), cmd.Start()}
	}()
	r := <-done
	return r.cpus, r.err
}
