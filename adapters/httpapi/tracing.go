package httpapi

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// startSpan opens the server span of an API request, continuing the
// client's trace when it sends a W3C traceparent, and makes it the
// request's context: the event a create appends carries it through the
// stream (see adapters/stream), and the worker's spans join the same trace.
// It is named for the method until endSpan knows the route.
func startSpan(c *fiber.Ctx, tracer trace.Tracer, method string) trace.Span {
	ctx := propagation.TraceContext{}.Extract(c.UserContext(), headers{c})
	ctx, span := tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer))
	c.SetUserContext(ctx)
	return span
}

// endSpan names the span for the route's pattern (never a token), records
// the answer and ends it.
func endSpan(span trace.Span, method, route string, status int, requestID string) {
	span.SetName(method + " " + route)
	span.SetAttributes(
		attribute.String("http.request.method", method),
		attribute.String("http.route", route),
		attribute.Int("http.response.status_code", status),
		attribute.String("request_id", requestID),
	)
	if status >= 500 {
		span.SetStatus(codes.Error, strconv.Itoa(status))
	}
	span.End()
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
