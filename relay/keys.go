package relay

import (
	"errors"

	"github.com/securep2p/securep2p/metrics"
	"github.com/securep2p/securep2p/relay/store"
	"github.com/securep2p/securep2p/wire"
)

func (ss *session) uploadPrekeys(req uint64, u *wire.UploadPrekeys) {
	k, ok := parseKeys(nil, u.SignedPrekey, u.OneTime)
	if !ok {
		ss.s.m.BadInput.WithLabelValues(metrics.BadKey).Inc()
		ss.reply(errorFrame(req, wire.CodeBadKey))
		return
	}
	n, err := ss.s.store.UpdateKeys(ss.username(), store.KeyUpdate{SignedPrekey: k.signed, OneTime: k.oneTime})
	switch {
	case errors.Is(err, store.ErrTooManyPrekeys):
		ss.reply(errorFrame(req, wire.CodeTooLarge))
	case err != nil:
		ss.s.cfg.Logger.Error("relay: upload prekeys", "err", err)
		ss.reply(errorFrame(req, wire.CodeInternal))
	default:
		ss.reply(&wire.Frame{Req: req, PrekeyCount: &wire.PrekeyCount{Remaining: uint32(n)}})
	}
}

// fetchAllowed applies the FetchBundle limits: this connection's bucket,
// then the requesting account's, shared by all its connections (an
// account's older sessions stay open after it logs in again, so a
// per-connection limit alone lets one account drain a user's prekeys).
func (ss *session) fetchAllowed() bool {
	now := ss.s.now()
	return ss.fetchLim.take(now, ss.s.cfg.FetchRate, float64(ss.s.cfg.FetchBurst)) &&
		ss.s.fetchAcct.allow(ss.username(), now)
}

func (ss *session) fetchBundle(req uint64, fb *wire.FetchBundle) {
	if !ss.fetchAllowed() {
		ss.s.m.RateLimited.WithLabelValues(metrics.ScopeFetch).Inc()
		ss.reply(errorFrame(req, wire.CodeRateLimited))
		return
	}
	name, ok := wire.NormalizeUsername(fb.Username)
	if !ok {
		ss.reply(errorFrame(req, wire.CodeUnknownUser))
		return
	}
	b, err := ss.s.store.TakeBundle(name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		ss.reply(errorFrame(req, wire.CodeUnknownUser))
	case err != nil:
		ss.s.cfg.Logger.Error("relay: fetch bundle", "err", err)
		ss.reply(errorFrame(req, wire.CodeInternal))
	default:
		ss.s.m.BundlesFetched.Inc()
		ss.reply(&wire.Frame{Req: req, Bundle: &wire.Bundle{Username: name, IdentityKey: b.IdentityKey,
			SignedPrekey: b.SignedPrekey, OneTime: b.OneTime}})
	}
}
