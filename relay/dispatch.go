package relay

import (
	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/wire"
)

// dispatch handles one frame read from the client. It returns false when
// the session must end (a frame the relay never accepts from a client, or
// one the connection's protocol version does not have).
func (ss *session) dispatch(f *wire.Frame) bool {
	if !ss.speaks(f) {
		ss.s.m.BadInput.WithLabelValues(metrics.BadFrame).Inc()
		ss.fatal(wire.CodeBadFrame)
		return false
	}
	authed := ss.username() != ""
	switch f.Type() {
	case wire.TypePing:
		ss.reply(&wire.Frame{Req: f.Req, Pong: &wire.Pong{N: f.Ping.N}})
	case wire.TypePong:
		// answer to a keepalive; nothing to do
	case wire.TypeRegister, wire.TypeLogin, wire.TypeResume:
		if authed {
			ss.reply(errorFrame(f.Req, wire.CodeAlreadyAuthed))
			return true
		}
		ss.authenticateFrame(f)
	case wire.TypeLogout, wire.TypeUploadPrekeys, wire.TypeFetchBundle, wire.TypeAck:
		if !authed {
			ss.reply(errorFrame(f.Req, wire.CodeNotAuthed))
			return true
		}
		ss.sessionFrame(f)
	case wire.TypeSend:
		if !authed {
			ss.reply(sendError(f.Send.ID, wire.CodeNotAuthed))
			return true
		}
		ss.send(f.Send)
	default:
		ss.s.m.BadInput.WithLabelValues(metrics.BadUnexpected).Inc()
		ss.fatal(wire.CodeBadFrame)
		return false
	}
	return true
}

// speaks reports whether f belongs to the connection's protocol version:
// an Ack with More exists only from version 2 on.
func (ss *session) speaks(f *wire.Frame) bool {
	return f.Ack == nil || len(f.Ack.More) == 0 || ss.hc.Version() >= 2
}

func (ss *session) authenticateFrame(f *wire.Frame) {
	switch {
	case f.Register != nil:
		ss.register(f.Req, f.Register)
	case f.Login != nil:
		ss.login(f.Req, f.Login)
	case f.Resume != nil:
		ss.resume(f.Req, f.Resume)
	}
}

func (ss *session) sessionFrame(f *wire.Frame) {
	switch {
	case f.Logout != nil:
		ss.logout()
		ss.reply(&wire.Frame{Req: f.Req, OK: &wire.OK{}})
	case f.UploadPrekeys != nil:
		ss.uploadPrekeys(f.Req, f.UploadPrekeys)
	case f.FetchBundle != nil:
		ss.fetchBundle(f.Req, f.FetchBundle)
	case f.Ack != nil:
		ss.ack(f.Ack)
	}
}
