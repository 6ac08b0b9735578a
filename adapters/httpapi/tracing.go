package httpapi

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// traced starts a server span for each API request, continuing the client's
// trace when it sends a W3C traceparent. The span is the request's context:
// the event a create appends carries it through the stream (see
// adapters/stream), and the worker's spans join the same trace. Its
// attributes name the route's pattern, never a token. Without a tracer
// provider (nil or a no-op one) it is not installed: no cost.
func traced(tp trace.TracerProvider) fiber.Handler {
	if tp == nil {
		return nil
	}
	if _, off := tp.(noop.TracerProvider); off {
		return nil
	}
	tracer := tp.Tracer("github.com/chatsvc/chat/adapters/httpapi")
	prop := propagation.TraceContext{}
	return func(c *fiber.Ctx) error {
		method := strings.Clone(c.Method())
		ctx := prop.Extract(c.UserContext(), headers{c})
		ctx, span := tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer))
		defer span.End()
		c.SetUserContext(ctx)
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status, _, _ = classify(err)
		}
		// Fiber's strings point into buffers it reuses: the span must own its.
		route := strings.Clone(c.Route().Path)
		span.SetName(method + " " + route)
		span.SetAttributes(
			attribute.String("http.request.method", method),
			attribute.String("http.route", route),
			attribute.Int("http.response.status_code", status),
			attribute.String("request_id", requestID(c)),
		)
		if status >= 500 {
			span.SetStatus(codes.Error, strconv.Itoa(status))
		}
		return err
	}
}

// headers lets a propagator read and write a request's headers.
type headers struct{ c *fiber.Ctx }

func (h headers) Get(key string) string { return h.c.Get(key) }
func (h headers) Set(key, value string) { h.c.Set(key, value) }
func (h headers) Keys() []string {
	var keys []string
	for k := range h.c.GetReqHeaders() {
		keys = append(keys, k)
	}
	return keys
}
