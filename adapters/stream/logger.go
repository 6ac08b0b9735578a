package stream

import (
	"context"
	"errors"

	"github.com/ThreeDotsLabs/watermill"
	"go.uber.org/zap"
)

// ZapLogger lets Watermill log through the service's zap logger. Watermill's
// info-level chatter (every subscription, every handler) goes to debug.
type ZapLogger struct{ l *zap.Logger }

// NewZapLogger adapts l.
func NewZapLogger(l *zap.Logger) watermill.LoggerAdapter { return ZapLogger{l: l.Named("watermill")} }

func fields(f watermill.LogFields) []zap.Field {
	out := make([]zap.Field, 0, len(f))
	for k, v := range f {
		out = append(out, zap.Any(k, v))
	}
	return out
}

func (z ZapLogger) Error(msg string, err error, f watermill.LogFields) {
	if errors.Is(err, context.Canceled) {
		// Watermill reports its own shutdown as read errors.
		z.l.Debug(msg, append(fields(f), zap.Error(err))...)
		return
	}
	z.l.Error(msg, append(fields(f), zap.Error(err))...)
}
func (z ZapLogger) Info(msg string, f watermill.LogFields)  { z.l.Debug(msg, fields(f)...) }
func (z ZapLogger) Debug(msg string, f watermill.LogFields) { z.l.Debug(msg, fields(f)...) }
func (z ZapLogger) Trace(string, watermill.LogFields)       {}
func (z ZapLogger) With(f watermill.LogFields) watermill.LoggerAdapter {
	return ZapLogger{l: z.l.With(fields(f)...)}
}
