package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Exit codes of [Main].
const (
	ExitOK     = 0 // the run completed with no errors and no timeouts
	ExitFailed = 1 // the run failed, or completed with errors or timeouts
	ExitUsage  = 2 // bad flags
)

// Main runs `p2pd bench` with args (without the subcommand name): it
// prints one JSON object ([Result]) on stdout and a summary on stderr, and
// returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args, stderr)
	if errors.Is(err, errHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "p2pd bench:", err)
		return ExitUsage
	}
	res, err := run(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "p2pd bench:", err)
		return ExitFailed
	}
	enc := json.NewEncoder(stdout)
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(stderr, "p2pd bench: write result:", err)
		return ExitFailed
	}
	res.summary(stderr)
	if res.Errors > 0 || res.Timeouts > 0 {
		return ExitFailed
	}
	return ExitOK
}

// run starts or checks the relay, runs the workload and fills in the
// relay's resource use.
func run(ctx context.Context, o *options, stderr io.Writer) (*Result, error) {
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	rl, err := openRelay(ctx, o, stderr)
	if err != nil {
		return nil, err
	}
	defer rl.close()
	defer setGCPercent(o.gcPercent)()
	tr, err := openSocket(o.sharedSocket)
	if err != nil {
		return nil, err
	}
	defer closeSocket(tr)
	o.transport = tr
	res := o.result(rl)
	if err := runWorkload(ctx, o, rl, res); err != nil {
		return nil, err
	}
	rl.finish(res)
	rl.fillNodes(res)
	return res, nil
}

func runWorkload(ctx context.Context, o *options, rl *relayHandle, res *Result) error {
	switch o.workload {
	case workloadIdle:
		return runIdle(ctx, o, rl, res)
	case workloadConnect:
		return runConnect(ctx, o, rl, res)
	default:
		return runMessages(ctx, o, rl, res)
	}
}
