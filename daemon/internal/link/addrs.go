package link

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// MaxAddrs is the most relay addresses one link rotates through.
const MaxAddrs = 16

// maxAddrList bounds the text ParseAddrs accepts (MaxAddrs host names of
// 253 bytes with ports and separators fit).
const maxAddrList = MaxAddrs * 264

// ParseAddrs splits a comma-separated list of relay HOST:PORT addresses
// (p2pd --relay), trimming spaces around each. It refuses an empty list, an
// empty entry, an entry without a host or port, a repeated entry and more
// than [MaxAddrs] entries.
func ParseAddrs(s string) ([]string, error) {
	if len(s) > maxAddrList {
		return nil, fmt.Errorf("link: relay address list longer than %d bytes", maxAddrList)
	}
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("link: no relay address")
	}
	parts := strings.Split(s, ",")
	if len(parts) > MaxAddrs {
		return nil, fmt.Errorf("link: more than %d relay addresses", MaxAddrs)
	}
	addrs := make([]string, 0, len(parts))
	seen := map[string]bool{}
	for _, p := range parts {
		a := strings.TrimSpace(p)
		if err := checkAddr(a); err != nil {
			return nil, err
		}
		if seen[a] {
			return nil, fmt.Errorf("link: relay address %q listed twice", a)
		}
		seen[a] = true
		addrs = append(addrs, a)
	}
	return addrs, nil
}

func checkAddr(a string) error {
	if a == "" {
		return errors.New("link: empty relay address in the list")
	}
	host, port, err := net.SplitHostPort(a)
	if err == nil && host != "" {
		if n, perr := strconv.ParseUint(port, 10, 16); perr == nil && n != 0 {
			return nil
		}
	}
	return fmt.Errorf("link: relay address %q is not HOST:PORT", a)
}
