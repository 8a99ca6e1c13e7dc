package api

import (
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func TestRoutesSorted(t *testing.T) {
	less := func(a, b Route) bool {
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	}
	for i := 1; i < len(Routes); i++ {
		if !less(Routes[i-1], Routes[i]) {
			t.Errorf("Routes not sorted (by path, then method) or duplicated at %q, %q", Routes[i-1].Pattern(), Routes[i].Pattern())
		}
	}
}

func TestRoutesWellFormed(t *testing.T) {
	for _, r := range Routes {
		if r.Method != "GET" && r.Method != "POST" {
			t.Errorf("%s: method must be GET or POST", r.Pattern())
		}
		if !strings.HasPrefix(r.Path, PathPrefix) {
			t.Errorf("%s: path outside %s", r.Pattern(), PathPrefix)
		}
		if r.Request == nil || r.Request.Kind() != reflect.Struct || r.Response == nil || r.Response.Kind() != reflect.Struct {
			t.Errorf("%s: request and response must be struct types", r.Pattern())
		}
		if r.Summary == "" {
			t.Errorf("%s: no summary", r.Pattern())
		}
	}
}

// TestRoutePathParams checks that every {name} in a pattern has exactly one
// request field tagged path:"name", and no other path tag exists.
func TestRoutePathParams(t *testing.T) {
	wild := regexp.MustCompile(`\{([a-z]+)\}`)
	for _, r := range Routes {
		want := map[string]bool{}
		for _, m := range wild.FindAllStringSubmatch(r.Path, -1) {
			want[m[1]] = true
		}
		got := map[string]bool{}
		for i := 0; i < r.Request.NumField(); i++ {
			f := r.Request.Field(i)
			if p, ok := f.Tag.Lookup("path"); ok {
				got[p] = true
				if f.Tag.Get("json") != "-" {
					t.Errorf("%s: path field %s must be json:\"-\"", r.Pattern(), f.Name)
				}
			}
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s: path params %v, request path tags %v", r.Pattern(), want, got)
		}
	}
}

// TestRouteFieldsTagged checks that every request and response field has a
// wire name: a json tag, or for GET params a path or query tag.
func TestRouteFieldsTagged(t *testing.T) {
	for _, r := range Routes {
		for _, typ := range []reflect.Type{r.Request, r.Response} {
			for i := 0; i < typ.NumField(); i++ {
				f := typ.Field(i)
				j := f.Tag.Get("json")
				_, p := f.Tag.Lookup("path")
				_, q := f.Tag.Lookup("query")
				if j == "" || (j == "-" && !p && !q) {
					t.Errorf("%s: %s.%s has no json/path/query tag", r.Pattern(), typ.Name(), f.Name)
				}
				if q && r.Method != "GET" {
					t.Errorf("%s: query field %s on a POST route", r.Pattern(), f.Name)
				}
			}
		}
	}
}

func documentedRoutes(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("API.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^### (GET|POST|PUT|DELETE|PATCH) (\S+)\s*$`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1]+" "+m[2])
	}
	return out
}

func TestRoutesDocumented(t *testing.T) {
	doc := documentedRoutes(t)
	var table []string
	for _, r := range Routes {
		table = append(table, r.Pattern())
	}
	inDoc := map[string]bool{}
	for _, d := range doc {
		if inDoc[d] {
			t.Errorf("API.md documents %s twice", d)
		}
		inDoc[d] = true
	}
	for _, p := range table {
		if !inDoc[p] {
			t.Errorf("route %s is not documented in API.md (add a '### %s' section)", p, p)
		}
		delete(inDoc, p)
	}
	var extra []string
	for d := range inDoc {
		extra = append(extra, d)
	}
	sort.Strings(extra)
	for _, d := range extra {
		t.Errorf("API.md documents %s, which is not in api.Routes", d)
	}
}
