package ports

import "context"

type requestIDKey struct{}

// MaxRequestIDLen bounds the request id carried along with an event: a
// client may choose its own X-Request-Id, and an event must not carry
// whatever a client sends.
const MaxRequestIDLen = 128

// WithRequestID carries the id of the HTTP request that causes an event, from
// the HTTP port to the adapter that appends the event, so that the worker's
// log lines and dead letters about the event name the request that made it.
// An id that is empty, longer than MaxRequestIDLen or not printable ASCII is
// not carried.
func WithRequestID(ctx context.Context, id string) context.Context {
	if id == "" || len(id) > MaxRequestIDLen {
		return ctx
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return ctx
		}
	}
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
