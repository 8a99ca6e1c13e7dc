package ctl

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// printJSON writes v as one line of JSON.
func (c *cli) printJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.stdio.Out, "%s\n", b)
	return err
}

func (c *cli) printf(format string, args ...any) {
	fmt.Fprintf(c.stdio.Out, format, args...)
}

func (c *cli) warnf(format string, args ...any) {
	fmt.Fprintf(c.stdio.Err, "p2pctl: "+format+"\n", args...)
}

// when formats a timestamp for humans ("-" for the zero time).
func (c *cli) when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(c.loc).Format("2006-01-02 15:04:05")
}

// safe makes text from the network printable: control characters (except
// newline and tab) and bidirectional overrides become \u escapes, and each
// newline is followed by indent so continuation lines stay attributable.
func safe(s, indent string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString("\n" + indent)
		case r == '\t':
			b.WriteRune(r)
		case r == unicode.ReplacementChar, unicode.IsControl(r), isBidi(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isBidi(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c
}
