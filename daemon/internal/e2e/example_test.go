package e2e_test

import (
	"fmt"

	"github.com/securep2p/securep2p/daemon/internal/e2e"
	"github.com/securep2p/securep2p/wire"
)

// A whole conversation: Bob publishes a bundle, Alice sets up a session and
// sends a padded text, Bob answers.
func Example() {
	alice, _ := e2e.NewIdentity()
	bob, _ := e2e.NewIdentity()
	prekeys := e2e.NewPrekeyStore()
	spk, _ := prekeys.RotateSignedPrekey(bob)
	otks, _ := prekeys.GenerateOneTime(10)
	bundle := &wire.Bundle{Username: "bob", IdentityKey: bob.Public().Bytes(), SignedPrekey: spk, OneTime: &otks[0]}

	toBob, _ := e2e.Initiate(alice, "alice", bundle)
	padded, _ := e2e.EncodeContent(&e2e.Content{Kind: e2e.KindText, Body: "hi bob", ID: make([]byte, 16)})
	env, _ := toBob.Encrypt(padded)

	toAlice, pt, used, err := e2e.Respond(bob, "bob", "alice", env, prekeys)
	if err != nil {
		fmt.Println(err)
		return
	}
	prekeys.Consume(used)
	c, _ := e2e.DecodeContent(pt)
	fmt.Println(c.Kind, c.Body, len(pt))

	reply, _ := toAlice.Encrypt([]byte("hi alice"))
	back, _ := toBob.Decrypt(reply)
	fmt.Println(string(back), toBob.AwaitingReply())
	// Output:
	// text hi bob 64
	// hi alice false
}

// Safety numbers are the same whichever side computes them.
func ExampleSafetyNumber() {
	a, _ := e2e.NewIdentity()
	b, _ := e2e.NewIdentity()
	fmt.Println(e2e.SafetyNumber("alice", a.Public(), "bob", b.Public()) ==
		e2e.SafetyNumber("bob", b.Public(), "alice", a.Public()))
	// Output: true
}
