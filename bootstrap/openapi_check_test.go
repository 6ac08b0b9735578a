package bootstrap_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Every request of the HTTP suite and every answer it gets are checked
// against the OpenAPI document the service serves, so that the document
// can never drift from the code in paths, parameters, schemas, required
// fields or status codes.
var (
	openAPIOnce   sync.Once
	openAPIRouter routers.Router
	openAPIErr    error
)

func openAPIDoc(t testing.TB) routers.Router {
	t.Helper()
	openAPIOnce.Do(func() {
		raw, err := os.ReadFile("../adapters/httpapi/openapi.json")
		if err != nil {
			openAPIErr = err
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(raw)
		if err != nil {
			openAPIErr = err
			return
		}
		if err := doc.Validate(context.Background()); err != nil {
			openAPIErr = err
			return
		}
		doc.Servers = nil // any host: the suite's servers listen on loopback ports
		openAPIRouter, openAPIErr = gorillamux.NewRouter(doc)
	})
	if openAPIErr != nil {
		t.Fatalf("openapi.json: %v", openAPIErr)
	}
	return openAPIRouter
}

// checkAgainstOpenAPI validates one exchange. A request the server refused
// (4xx) was meant to be wrong: only its answer is checked.
func checkAgainstOpenAPI(t testing.TB, req *http.Request, body []byte, res *http.Response, raw []byte) {
	t.Helper()
	route, params, err := openAPIDoc(t).FindRoute(req)
	if err != nil {
		return // a path or method the document does not have: the suite checks those answers itself
	}
	req = req.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true}}
	if res.StatusCode < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: the request the server accepted does not follow openapi.json: %v", req.Method, req.URL.Path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	out.SetBodyBytes(raw)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s: the answer %d does not follow openapi.json: %v", req.Method, req.URL.Path, res.StatusCode, err)
	}
}
