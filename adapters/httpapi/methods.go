package httpapi

import (
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Which methods a path has: 405 with Allow for a known path under another
// method, 404 for an unknown path, and a JSON 405 for a method Fiber does
// not know at all.

// route is a registered path split into segments; ":x" matches any one.
type route struct {
	method   string
	segments []string
}

// allowed lists the methods some route serves at path (empty: no route has
// the path). Where routes of several shapes match, the most literal wins:
// …/messages/search is the search's, not a message's.
func (s *Server) allowed(path string) []string {
	s.routesOnce.Do(func() {
		for _, r := range s.app.GetRoutes(true) {
			s.routes = append(s.routes, route{method: r.Method, segments: strings.Split(strings.Trim(strings.ToLower(r.Path), "/"), "/")})
		}
	})
	segs := strings.Split(strings.Trim(strings.ToLower(path), "/"), "/")
	best := -1
	methods := map[string]bool{}
	for _, r := range s.routes {
		literal, ok := matchRoute(r.segments, segs)
		switch {
		case !ok || literal < best:
			continue
		case literal > best:
			best, methods = literal, map[string]bool{}
		}
		methods[r.method] = true
	}
	out := make([]string, 0, len(methods))
	for m := range methods {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// matchRoute says whether a route's segments match a path's, and how many
// of them literally.
func matchRoute(route, path []string) (literal int, ok bool) {
	if len(route) != len(path) {
		return 0, false
	}
	for i, seg := range route {
		switch {
		case strings.HasPrefix(seg, ":") && path[i] != "":
		case seg == path[i]:
			literal++
		default:
			return 0, false
		}
	}
	return literal, true
}

// unmatched answers what no route took: 405 with Allow when the path exists
// under other methods, else 404.
func (s *Server) unmatched(c *fiber.Ctx) error {
	if allow := s.allowed(c.Path()); len(allow) > 0 {
		c.Set(fiber.HeaderAllow, strings.Join(allow, ", "))
		return fiber.ErrMethodNotAllowed
	}
	return fiber.ErrNotFound
}

// knownMethodsOnly answers a method Fiber does not know (it would answer a
// text/plain 400 without a request id) as a JSON 405 with Allow.
func (s *Server) knownMethodsOnly(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	known := map[string]bool{}
	for _, m := range fiber.DefaultMethods {
		known[m] = true
	}
	return func(ctx *fasthttp.RequestCtx) {
		if known[string(ctx.Method())] {
			next(ctx)
			return
		}
		ctx.Response.Header.Set(fiber.HeaderXRequestID, requestIDOf(ctx.Request.Header.Peek(fiber.HeaderXRequestID)))
		if allow := s.allowed(string(ctx.Path())); len(allow) > 0 {
			ctx.Response.Header.Set(fiber.HeaderAllow, strings.Join(allow, ", "))
		}
		body, _ := encodeJSON(errorBody{Error: errorDetail{Code: "method_not_allowed", Message: "unknown HTTP method"}})
		ctx.SetStatusCode(fiber.StatusMethodNotAllowed)
		ctx.SetContentType(fiber.MIMEApplicationJSON)
		ctx.SetBody(body)
	}
}
