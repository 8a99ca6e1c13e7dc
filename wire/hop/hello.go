package hop

import (
	"errors"
	"fmt"
	"io"

	"github.com/securep2p/securep2p/wire"
)

// writeHello writes one cleartext handshake packet.
func writeHello(w io.Writer, frame []byte) error {
	pkt, err := wire.AppendPacket(nil, frame, MaxHelloPacket)
	if err != nil {
		return err
	}
	_, err = w.Write(pkt)
	return err
}

// readHello reads and decodes one cleartext handshake packet. It returns
// the frame's exact bytes too (they go into the transcript).
func readHello(r io.Reader, f *wire.Frame) ([]byte, error) {
	b, err := wire.ReadPacket(r, nil, MaxHelloPacket)
	if err != nil {
		return nil, err
	}
	if err := wire.Unmarshal(b, f); err != nil {
		return nil, err
	}
	return b, nil
}

// readClientHello reads the first packet on the relay side. Anything but a
// ClientHello of a version between wire.MinProtocolVersion and
// wire.ProtocolVersion is answered with a fatal Error frame.
func readClientHello(rw io.ReadWriter) ([]byte, *wire.ClientHello, error) {
	var f wire.Frame
	b, err := readHello(rw, &f)
	if err != nil {
		if isMalformed(err) {
			sendError(rw, wire.CodeBadFrame, "expected a ClientHello")
		}
		return nil, nil, err
	}
	if f.ClientHello == nil {
		sendError(rw, wire.CodeBadFrame, "expected a ClientHello")
		return nil, nil, fmt.Errorf("expected ClientHello, got frame type %d", f.Type())
	}
	if v := f.ClientHello.Version; v < wire.MinProtocolVersion || v > wire.ProtocolVersion {
		sendError(rw, wire.CodeVersion, fmt.Sprintf("relay speaks protocol versions %d to %d", wire.MinProtocolVersion, wire.ProtocolVersion))
		return nil, nil, fmt.Errorf("client protocol version %d, relay speaks %d to %d", v, wire.MinProtocolVersion, wire.ProtocolVersion)
	}
	return b, f.ClientHello, nil
}

// readServerHello reads the relay's answer on the client side, which must
// carry the version the client sent. An Error frame becomes its
// *wire.RemoteError.
func readServerHello(r io.Reader, version uint64) (*wire.ServerHello, error) {
	var f wire.Frame
	if _, err := readHello(r, &f); err != nil {
		return nil, err
	}
	switch {
	case f.Error != nil:
		return nil, f.Error.Err()
	case f.ServerHello == nil:
		return nil, fmt.Errorf("expected ServerHello, got frame type %d", f.Type())
	case f.ServerHello.Version != version:
		return nil, fmt.Errorf("relay protocol version %d, client speaks %d", f.ServerHello.Version, version)
	}
	return f.ServerHello, nil
}

// isMalformed tells a bad packet (answered with an Error frame) from an I/O
// failure (not answered: the peer is gone or not reading).
func isMalformed(err error) bool {
	return errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrInvalid) || errors.Is(err, wire.ErrTooLarge)
}

// sendError writes a fatal cleartext Error frame; a write failure is
// ignored because the handshake is failing anyway.
func sendError(w io.Writer, code wire.Code, msg string) {
	b, err := wire.Marshal(&wire.Frame{Error: &wire.Error{Code: code, Message: msg}})
	if err != nil {
		return
	}
	_ = writeHello(w, b)
}
