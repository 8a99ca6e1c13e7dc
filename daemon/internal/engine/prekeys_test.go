package engine

import (
	"context"
	"errors"
	"testing"

	"github.com/securep2p/securep2p/daemon/api"
)

// TestRegisterRetryKeepsPrekeys: a Register the relay refuses (here: the
// name is taken, as after a Register that succeeded but whose answer was
// lost) must not reset the prekey store: after logging in, a new contact's
// first message (using a one-time prekey published by the first Register)
// decrypts.
func TestRegisterRetryKeepsPrekeys(t *testing.T) {
	r := startRelay(t)
	alice := startNode(t, r.addr, "")
	alice.register("alice")
	if _, err := alice.e.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := alice.e.Register(context.Background(), api.RegisterParams{Username: "alice", Password: "password-alice"})
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Code != api.CodeUsernameTaken {
		t.Fatalf("second register: %v, want username_taken", err)
	}
	if _, err := alice.e.Login(context.Background(), api.LoginParams{Username: "alice", Password: "password-alice"}); err != nil {
		t.Fatal(err)
	}
	bob := startNode(t, r.addr, "")
	bob.register("bob")
	res := bob.send("alice", "first contact", api.StatusDelivered)
	if h := alice.history("bob"); len(h) != 1 || h[0].Text != "first contact" || h[0].ID != res.Message.ID {
		t.Fatalf("alice's history %+v", h)
	}
}
