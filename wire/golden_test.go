package wire_test

import (
	"bytes"
	"encoding/hex"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/securep2p/securep2p/wire"
)

var update = flag.Bool("update", false, "rewrite testdata/frames/*.hex from the fixtures")

// fill returns n bytes start, start+1, ... (mod 256): deterministic and easy
// to spot in a hex dump.
func fill(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// key returns a 33-byte compressed-point-shaped value (prefix 02). The wire
// layer does not check points; wire/secp does where keys are used.
func key(start byte) []byte { return append([]byte{0x02}, fill(32, start)...) }

func signedPrekey() wire.SignedPrekey {
	return wire.SignedPrekey{ID: 7, Key: key(0x30), Signature: fill(64, 0x80)}
}

func prekeys(n int) []wire.Prekey {
	ps := make([]wire.Prekey, n)
	for i := range ps {
		ps[i] = wire.Prekey{ID: uint32(100 + i), Key: key(byte(0x50 + i))}
	}
	return ps
}

// goldens holds one valid frame per wire.Type, with fixed field values,
// plus the version-2 variants named in batchVariants. The file name is the
// key. The hellos carry version 1 explicitly: these vectors are normative
// and stay byte for byte what version 1 published.
var goldens = map[string]wire.Frame{
	"client_hello": {ClientHello: &wire.ClientHello{Version: 1, Ephemeral: key(0x01), Nonce: fill(32, 0x40)}},
	"server_hello": {ServerHello: &wire.ServerHello{Version: 1, Ephemeral: key(0x21),
		RelayKey: key(0x41), Challenge: fill(32, 0x61), Signature: fill(64, 0x81)}},
	"register": {Req: 1, Register: &wire.Register{Username: "alice", Password: "correct horse",
		IdentityKey: key(0x10), SignedPrekey: signedPrekey(), OneTime: prekeys(2)}},
	"login": {Req: 2, Login: &wire.Login{Username: "alice", Password: "correct horse", IdentityKey: key(0x11),
		SignedPrekey: &wire.SignedPrekey{ID: 8, Key: key(0x31), Signature: fill(64, 0x90)}, OneTime: prekeys(1)}},
	"resume":  {Req: 3, Resume: &wire.Resume{Username: "alice", Signature: fill(64, 0xa0)}},
	"logout":  {Req: 4, Logout: &wire.Logout{}},
	"welcome": {Req: 3, Welcome: &wire.Welcome{Username: "alice", Remaining: 42, KeyChanged: true}},
	"ok":      {Req: 4, OK: &wire.OK{}},
	"upload_prekeys": {Req: 5, UploadPrekeys: &wire.UploadPrekeys{SignedPrekey: &wire.SignedPrekey{ID: 9,
		Key: key(0x32), Signature: fill(64, 0xb0)}, OneTime: prekeys(2)}},
	"prekey_count": {Req: 5, PrekeyCount: &wire.PrekeyCount{Remaining: 44}},
	"fetch_bundle": {Req: 6, FetchBundle: &wire.FetchBundle{Username: "bob"}},
	"bundle": {Req: 6, Bundle: &wire.Bundle{Username: "bob", IdentityKey: key(0x12), SignedPrekey: signedPrekey(),
		OneTime: &wire.Prekey{ID: 100, Key: key(0x50)}}},
	"send": {Send: &wire.Send{ID: fill(16, 0xc0), To: "bob", Body: []byte("opaque end-to-end envelope"),
		IdentityKey: key(0x12)}},
	"accepted": {Accepted: &wire.Accepted{ID: fill(16, 0xc0)}},
	"deliver": {Deliver: &wire.Deliver{ID: fill(16, 0xc0), From: "alice", Body: []byte("opaque end-to-end envelope"),
		SentAt: 1790000000000}},
	"ack":       {Ack: &wire.Ack{ID: fill(16, 0xc0)}},
	"ack_batch": {Ack: &wire.Ack{ID: fill(16, 0xc0), More: [][]byte{fill(16, 0xd0), fill(16, 0xe0)}}},
	"accepted_batch": {Accepted: &wire.Accepted{ID: fill(16, 0xc0),
		More: [][]byte{fill(16, 0xd0), fill(16, 0xe0)}}},
	"error": {Error: &wire.Error{Code: wire.CodeKeyChanged, Message: "recipient identity key changed", ID: fill(16, 0xc0)}},
	"ping":  {Ping: &wire.Ping{N: 1}},
	"pong":  {Pong: &wire.Pong{N: 1}},
}

func goldenPath(name string) string { return filepath.Join("testdata", "frames", name+".hex") }

func readGolden(t testing.TB, name string) []byte {
	t.Helper()
	h, err := os.ReadFile(goldenPath(name))
	if err != nil {
		t.Fatalf("%v (run go test ./wire -run TestGoldenFrames -update)", err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(h)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sortedGoldenNames() []string {
	names := make([]string, 0, len(goldens))
	for n := range goldens {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func TestGoldenFrames(t *testing.T) {
	for _, name := range sortedGoldenNames() {
		f := goldens[name]
		b, err := wire.Marshal(&f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if *update {
			if err := os.MkdirAll(filepath.Dir(goldenPath(name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(goldenPath(name), []byte(hex.EncodeToString(b)+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want := readGolden(t, name)
		if !bytes.Equal(b, want) {
			t.Errorf("%s: Marshal = %x\ngolden      %x", name, b, want)
		}
		var got wire.Frame
		if err := wire.Unmarshal(want, &got); err != nil {
			t.Fatalf("%s: Unmarshal(golden): %v", name, err)
		}
		if !reflect.DeepEqual(got, f) {
			t.Errorf("%s: Unmarshal(golden) = %+v, want %+v", name, got, f)
		}
	}
}

// frameTypes reads the Type constants from frames.go, so a new frame type
// without a golden vector fails TestGoldenCoversEveryType.
func frameTypes(t *testing.T) map[string]bool {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "frames.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			for _, n := range s.(*ast.ValueSpec).Names {
				if strings.HasPrefix(n.Name, "Type") {
					types[n.Name] = true
				}
			}
		}
	}
	return types
}

// batchVariants are the goldens of a type that already has one: the
// version-2 batched forms of Ack and Accepted.
var batchVariants = map[string]wire.Type{"ack_batch": wire.TypeAck, "accepted_batch": wire.TypeAccepted}

func TestGoldenCoversEveryType(t *testing.T) {
	declared := frameTypes(t)
	covered := map[wire.Type]bool{}
	for name, f := range goldens {
		typ := f.Type()
		if want, ok := batchVariants[name]; ok {
			if typ != want {
				t.Fatalf("%s: type %d, want %d", name, typ, want)
			}
			continue
		}
		if typ == 0 || covered[typ] {
			t.Fatalf("%s: type %d missing or covered twice", name, typ)
		}
		covered[typ] = true
	}
	if len(declared) < 19 || len(covered) != len(declared) {
		t.Fatalf("frames.go declares %d frame types, goldens cover %d", len(declared), len(covered))
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "frames"))
	if err != nil || len(entries) != len(goldens) {
		t.Fatalf("testdata/frames has %d files, want %d (%v)", len(entries), len(goldens), err)
	}
}

// docFrames are the golden frames quoted in PROTOCOL.md.
var docFrames = []string{"ping", "fetch_bundle", "send", "error", "ack_batch"}

func TestProtocolDocFrames(t *testing.T) {
	doc, err := os.ReadFile("PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range docFrames {
		line := name + ".hex: " + hex.EncodeToString(readGolden(t, name))
		if !bytes.Contains(doc, []byte(line)) {
			t.Errorf("PROTOCOL.md lacks the line %q", line)
		}
	}
}
