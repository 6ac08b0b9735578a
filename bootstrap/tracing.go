package bootstrap

import (
	"context"
	"os"
	"path/filepath"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/fx"
	"go.uber.org/zap"
)

// newTracerProvider exports spans over OTLP/HTTP when an endpoint is
// configured (OpenTelemetry's own variables: OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with OTEL_SERVICE_NAME,
// OTEL_TRACES_SAMPLER…), and is a no-op otherwise: then nothing is traced
// and the api does not even look at traceparent.
func newTracerProvider(lc fx.Lifecycle, log *zap.Logger) (trace.TracerProvider, error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return noop.NewTracerProvider(), nil
	}
	exp, err := otlptracehttp.New(context.Background())
	if err != nil {
		return nil, err
	}
	name := os.Getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "chat-" + filepath.Base(os.Args[0]) // chat-api, chat-worker
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(attribute.String("service.name", name)))
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	// OpenTelemetry's globals (what libraries use) are set at start, not
	// when the graph is built.
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
			otel.SetTracerProvider(tp)
			log.Info("tracing: exporting spans over OTLP")
			return nil
		},
		OnStop: tp.Shutdown,
	})
	return tp, nil
}

// tracer is the named tracer of an adapter, or nil when tracing is off:
// the one place that decides, so that the adapters (the api's spans, the
// worker's) then record nothing, at no cost.
func tracer(tp trace.TracerProvider, name string) trace.Tracer {
	if _, off := tp.(noop.TracerProvider); off || tp == nil {
		return nil
	}
	return tp.Tracer(name)
}
