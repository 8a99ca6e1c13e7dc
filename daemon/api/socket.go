package api

import (
	"errors"
	"os"
	"path/filepath"
)

// Socket and state-directory names.
const (
	AppDir     = "securep2p" // directory under XDG_RUNTIME_DIR and XDG_STATE_HOME
	SocketName = "p2pd.sock"
	// MaxSocketPath is the longest socket path a Unix socket address holds
	// (sun_path is 108 bytes on Linux, NUL included).
	MaxSocketPath = 107
)

// Env looks up an environment variable; os.Getenv in production.
type Env func(key string) string

// StateDir is the default state directory: $XDG_STATE_HOME/securep2p, else
// $HOME/.local/state/securep2p. Relative XDG values are ignored, as the XDG
// base-directory specification requires.
func StateDir(env Env) (string, error) {
	if d := env("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, AppDir), nil
	}
	home := env("HOME")
	if !filepath.IsAbs(home) {
		return "", errors.New("api: cannot find the state directory: set XDG_STATE_HOME or HOME")
	}
	return filepath.Join(home, ".local", "state", AppDir), nil
}

// SocketPath is the default control-socket path:
// $XDG_RUNTIME_DIR/securep2p/p2pd.sock, else <stateDir>/p2pd.sock. An empty
// stateDir means [StateDir]. The daemon passes its --state-dir; p2pctl passes
// "" (so a daemon with a custom --state-dir and no XDG_RUNTIME_DIR needs
// p2pctl --socket).
func SocketPath(env Env, stateDir string) (string, error) {
	if d := env("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, AppDir, SocketName), nil
	}
	if stateDir == "" {
		var err error
		if stateDir, err = StateDir(env); err != nil {
			return "", err
		}
	}
	return filepath.Join(stateDir, SocketName), nil
}

// DefaultSocketPath is SocketPath(os.Getenv, "").
func DefaultSocketPath() (string, error) { return SocketPath(os.Getenv, "") }
