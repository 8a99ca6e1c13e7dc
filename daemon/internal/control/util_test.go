package control

import "net/http"

func httpReq(method, path string) *http.Request {
	req, _ := http.NewRequest(method, "http://localhost"+path, nil)
	return req
}
