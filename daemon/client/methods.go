package client

import (
	"context"

	"github.com/securep2p/securep2p/daemon/api"
)

// Contacts lists contacts (GET /v1/contacts).
func (c *Client) Contacts(ctx context.Context, p api.ContactsParams) (api.ContactsResult, error) {
	return call[api.ContactsResult](ctx, c, "GET /v1/contacts", p)
}

// Contact shows one contact (GET /v1/contacts/{user}).
func (c *Client) Contact(ctx context.Context, p api.ContactParams) (api.ContactResult, error) {
	return call[api.ContactResult](ctx, c, "GET /v1/contacts/{user}", p)
}

// History returns one page of a conversation (GET /v1/contacts/{user}/history).
func (c *Client) History(ctx context.Context, p api.HistoryParams) (api.HistoryResult, error) {
	return call[api.HistoryResult](ctx, c, "GET /v1/contacts/{user}/history", p)
}

// SafetyNumber returns the safety number with a contact (GET /v1/contacts/{user}/safety-number).
func (c *Client) SafetyNumber(ctx context.Context, p api.SafetyNumberParams) (api.SafetyNumberResult, error) {
	return call[api.SafetyNumberResult](ctx, c, "GET /v1/contacts/{user}/safety-number", p)
}

// ContactSettings changes a contact's settings (POST /v1/contacts/{user}/settings).
func (c *Client) ContactSettings(ctx context.Context, p api.ContactSettingsParams) (api.ContactResult, error) {
	return call[api.ContactResult](ctx, c, "POST /v1/contacts/{user}/settings", p)
}

// Trust accepts a contact's changed key (POST /v1/contacts/{user}/trust).
func (c *Client) Trust(ctx context.Context, p api.TrustParams) (api.TrustResult, error) {
	return call[api.TrustResult](ctx, c, "POST /v1/contacts/{user}/trust", p)
}

// Verify marks a contact verified (POST /v1/contacts/{user}/verify).
func (c *Client) Verify(ctx context.Context, p api.VerifyParams) (api.ContactResult, error) {
	return call[api.ContactResult](ctx, c, "POST /v1/contacts/{user}/verify", p)
}

// Login logs in (POST /v1/login).
func (c *Client) Login(ctx context.Context, p api.LoginParams) (api.AccountResult, error) {
	return call[api.AccountResult](ctx, c, "POST /v1/login", p)
}

// Logout logs out (POST /v1/logout).
func (c *Client) Logout(ctx context.Context, p api.LogoutParams) (api.LogoutResult, error) {
	return call[api.LogoutResult](ctx, c, "POST /v1/logout", p)
}

// Message returns one message, optionally waiting for a status (GET /v1/messages/{id}).
func (c *Client) Message(ctx context.Context, p api.MessageParams) (api.MessageResult, error) {
	return call[api.MessageResult](ctx, c, "GET /v1/messages/{id}", p)
}

// Inspect returns a message's public crypto details (GET /v1/messages/{id}/inspect).
func (c *Client) Inspect(ctx context.Context, p api.InspectParams) (api.InspectResult, error) {
	return call[api.InspectResult](ctx, c, "GET /v1/messages/{id}/inspect", p)
}

// Register creates an account and logs in (POST /v1/register).
func (c *Client) Register(ctx context.Context, p api.RegisterParams) (api.AccountResult, error) {
	return call[api.AccountResult](ctx, c, "POST /v1/register", p)
}

// Send queues a message, optionally waiting for a status (POST /v1/send).
func (c *Client) Send(ctx context.Context, p api.SendParams) (api.SendResult, error) {
	return call[api.SendResult](ctx, c, "POST /v1/send", p)
}

// Status returns the daemon's state (GET /v1/status).
func (c *Client) Status(ctx context.Context, p api.StatusParams) (api.StatusResult, error) {
	return call[api.StatusResult](ctx, c, "GET /v1/status", p)
}
