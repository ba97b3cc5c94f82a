//go:build !linux

package cli

import "os/exec"

// startOnOneCPU starts cmd; only on Linux does it narrow the CPUs the child sees.
func startOnOneCPU(cmd *exec.Cmd) (string, error) { return "", cmd.Start() }
