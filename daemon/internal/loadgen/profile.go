package loadgen

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
)

// hiddenFlags are registered but left out of --help: developer tools.
var hiddenFlags = map[string]bool{"cpuprofile": true}

// usage prints the flags of fs except the hidden ones.
func usage(fs *flag.FlagSet) func() {
	return func() {
		out := fs.Output()
		fmt.Fprintln(out, "usage: p2pd bench [flags]")
		fs.VisitAll(func(f *flag.Flag) {
			if hiddenFlags[f.Name] {
				return
			}
			name, text := flag.UnquoteUsage(f)
			fmt.Fprintf(out, "  --%s %s\n    \t%s (default %q)\n", f.Name, name, text, f.DefValue)
		})
	}
}

// startProfile starts a CPU profile of this process into path (the
// measured phase of a message workload); the returned func stops it. An
// empty path profiles nothing.
func startProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
