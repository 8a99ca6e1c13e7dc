package hop_test

import (
	"bytes"
	"context"
	"fmt"
	"net"

	"github.com/securep2p/securep2p/wire"
	"github.com/securep2p/securep2p/wire/hop"
	"github.com/securep2p/securep2p/wire/secp"
)

// A daemon and a relay over an in-memory stream. On QUIC, each end passes
// hop.Binding(conn.ConnectionState().TLS) instead of the fixed binding.
func Example() {
	relayKey, _ := secp.GeneratePrivateKey()
	binding := bytes.Repeat([]byte{1}, hop.BindingSize)
	daemonSide, relaySide := net.Pipe()
	ctx := context.Background()

	go func() {
		c, err := hop.Server(ctx, relaySide, binding, relayKey)
		if err != nil {
			return
		}
		var f wire.Frame
		if c.ReadFrame(&f) == nil && f.Ping != nil {
			_ = c.WriteFrame(&wire.Frame{Pong: &wire.Pong{N: f.Ping.N}})
		}
	}()

	// A zero pin would trust the relay on first use; here it is pinned.
	c, err := hop.Client(ctx, daemonSide, binding, relayKey.Public())
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = c.WriteFrame(&wire.Frame{Ping: &wire.Ping{N: 7}})
	var f wire.Frame
	if err := c.ReadFrame(&f); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("pong", f.Pong.N, c.RelayKey() == relayKey.Public())
	// Output: pong 7 true
}
