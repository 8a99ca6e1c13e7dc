package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/securep2p/securep2p/daemon/api"
)

func badRequest(format string, args ...any) *api.Error {
	return &api.Error{Code: api.CodeBadRequest, Message: fmt.Sprintf(format, args...)}
}

// decodeParams fills p (a pointer to a params struct) from the JSON body
// (POST), the path (tag path) and the query (tag query).
func decodeParams(r *http.Request, p any) error {
	if r.Method == http.MethodPost {
		if err := decodeBody(r, p); err != nil {
			return err
		}
	}
	v := reflect.ValueOf(p).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if name := f.Tag.Get("path"); name != "" {
			if err := setField(v.Field(i), name, r.PathValue(name)); err != nil {
				return err
			}
		}
		if name := f.Tag.Get("query"); name != "" && r.URL.Query().Has(name) {
			if err := setField(v.Field(i), name, r.URL.Query().Get(name)); err != nil {
				return err
			}
		}
	}
	return nil
}

// decodeBody reads at most MaxRequestBytes of strict JSON (no unknown
// fields, one value). An empty body is an empty object.
func decodeBody(r *http.Request, p any) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, api.MaxRequestBytes+1))
	if err != nil {
		return badRequest("read body: %v", err)
	}
	if len(raw) > api.MaxRequestBytes {
		return &api.Error{Code: api.CodeMessageTooLarge, Message: fmt.Sprintf("request body exceeds %d bytes", api.MaxRequestBytes)}
	}
	if strings.TrimSpace(string(raw)) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		return badRequest("malformed JSON body: %s", jsonProblem(err))
	}
	if dec.More() {
		return badRequest("malformed JSON body: trailing data")
	}
	return nil
}

// jsonProblem describes a decode error without echoing values (a
// password could be among them).
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %q has the wrong type", te.Field)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "cannot decode"
}

func setField(f reflect.Value, name, s string) error {
	if f.Kind() == reflect.Pointer {
		n := reflect.New(f.Type().Elem())
		if err := setField(n.Elem(), name, s); err != nil {
			return err
		}
		f.Set(n)
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return badRequest("%s must be an integer", name)
		}
		f.SetInt(n)
	case reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return badRequest("%s must be a non-negative integer", name)
		}
		f.SetUint(n)
	default:
		return fmt.Errorf("control: unsupported parameter kind %s", f.Kind())
	}
	return nil
}
