package hop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// deadliner is implemented by net.Conn and *quic.Stream.
type deadliner interface {
	SetDeadline(t time.Time) error
}

// withContext runs the blocking handshake step fn so that it honours ctx.
// When rw can take a deadline, ctx's deadline is set on it and cancellation
// moves it into the past; the deadline is cleared afterwards. Otherwise fn
// runs in a goroutine and withContext returns on cancellation (the caller
// must then close rw, which unblocks fn).
func withContext(ctx context.Context, rw any, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := rw.(deadliner); ok {
		return withDeadline(ctx, d, fn)
	}
	if ctx.Done() == nil {
		return fn()
	}
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func withDeadline(ctx context.Context, d deadliner, fn func() error) error {
	if dl, ok := ctx.Deadline(); ok {
		if err := d.SetDeadline(dl); err != nil {
			return fmt.Errorf("set deadline: %w", err)
		}
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(fired)
		_ = d.SetDeadline(time.Unix(1, 0))
	})
	err := fn()
	if !stop() {
		<-fired
	}
	_ = d.SetDeadline(time.Time{})
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		if cerr := ctxErr(ctx); cerr != nil {
			return cerr
		}
	}
	return err
}

// ctxErr is ctx.Err(), or DeadlineExceeded when the deadline has passed but
// ctx's own timer has not fired yet.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}
