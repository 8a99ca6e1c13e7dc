package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// maxTicks bounds one CPU time field (about 21 years), so that the sum
// of two converts to a time.Duration without overflow.
const maxTicks = 1 << 36

// maxProcFile bounds what is read from one /proc file.
const maxProcFile = 64 << 10

// procStats is a process's resource use.
type procStats struct {
	cpu     time.Duration // user + system
	rss     int64         // VmRSS, bytes
	peakRSS int64         // VmHWM, bytes
}

var errProcFormat = errors.New("unexpected /proc format")

func readProcStats(pid int) (procStats, error) {
	var st procStats
	stat, err := readProcFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return st, err
	}
	if st.cpu, err = parseStatCPU(stat); err != nil {
		return st, err
	}
	status, err := readProcFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return st, err
	}
	if st.rss, err = parseStatusKB(status, "VmRSS:"); err != nil {
		return st, err
	}
	st.peakRSS, err = parseStatusKB(status, "VmHWM:")
	return st, err
}

func readProcFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, maxProcFile)
	n, err := f.Read(b)
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

// parseStatCPU returns utime+stime from /proc/PID/stat. The command name
// (field 2) is in parentheses and may hold spaces, so fields are counted
// after the last ')': utime and stime are fields 14 and 15.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errProcFormat
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errProcFormat
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || v < 0 || v > maxTicks {
			return 0, errProcFormat
		}
		ticks += v
	}
	return time.Duration(ticks) * (time.Second / clockTicks), nil
}

// parseStatusKB returns the "Name:  123 kB" value of /proc/PID/status in bytes.
func parseStatusKB(b []byte, name string) (int64, error) {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte(name))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, errProcFormat
		}
		v, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil || v < 0 || v > 1<<40 {
			return 0, errProcFormat
		}
		return v << 10, nil
	}
	return 0, errProcFormat
}
