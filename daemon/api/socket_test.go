package api

import "testing"

func env(m map[string]string) Env { return func(k string) string { return m[k] } }

func TestSocketPathRuntimeDir(t *testing.T) {
	got, err := SocketPath(env(map[string]string{"XDG_RUNTIME_DIR": "/run/user/1000", "HOME": "/home/u"}), "/state")
	if err != nil || got != "/run/user/1000/securep2p/p2pd.sock" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestSocketPathStateDir(t *testing.T) {
	got, err := SocketPath(env(map[string]string{"HOME": "/home/u"}), "/state")
	if err != nil || got != "/state/p2pd.sock" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestSocketPathDefaultStateDir(t *testing.T) {
	got, err := SocketPath(env(map[string]string{"HOME": "/home/u"}), "")
	if err != nil || got != "/home/u/.local/state/securep2p/p2pd.sock" {
		t.Errorf("got %q, %v", got, err)
	}
	got, err = SocketPath(env(map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "/xs"}), "")
	if err != nil || got != "/xs/securep2p/p2pd.sock" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestSocketPathRelativeXDGIgnored(t *testing.T) {
	got, err := SocketPath(env(map[string]string{"XDG_RUNTIME_DIR": "run", "XDG_STATE_HOME": "st", "HOME": "/h"}), "")
	if err != nil || got != "/h/.local/state/securep2p/p2pd.sock" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestSocketPathNoHome(t *testing.T) {
	if _, err := SocketPath(env(nil), ""); err == nil {
		t.Error("no HOME and no XDG vars: want an error")
	}
}
