package bootstrap

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/ports"
)

// systemClock is the real clock.
type systemClock struct{}

// Microseconds are what MySQL keeps, so an answer and a later read agree.
func (systemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Core: configuration, logging, metrics, the clock.
func core(cfg Config) fx.Option {
	return fx.Options(
		// The whole configuration, and each module's part of it: a module
		// asks for the part it needs.
		fx.Supply(cfg, cfg.HTTP, cfg.MySQL, cfg.Redis, cfg.OpenSearch, cfg.Stream, cfg.Worker, cfg.ReadCache, cfg.Startup, cfg.Log, cfg.Live),
		fx.Provide(newLogger, metrics.New, newTracerProvider),
		fx.Provide(fx.Annotate(func() systemClock { return systemClock{} }, fx.As(new(ports.Clock)))),
		fx.WithLogger(func(l *zap.Logger) fxevent.Logger {
			z := &fxevent.ZapLogger{Logger: l.Named("fx")}
			z.UseLogLevel(zapcore.DebugLevel)
			return z
		}),
		fx.StartTimeout(time.Duration(cfg.Startup.Attempts+5)*cfg.Startup.Every+15*time.Second),
		fx.Invoke(serveDebug),
	)
}

// serveDebug serves Go's profiler on CHAT_DEBUG_ADDR, when set.
func serveDebug(lc fx.Lifecycle, cfg Config, log *zap.Logger) {
	if cfg.DebugAddr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: cfg.DebugAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			ln, err := net.Listen("tcp", cfg.DebugAddr)
			if err != nil {
				return fmt.Errorf("CHAT_DEBUG_ADDR: %w", err)
			}
			go func() { _ = srv.Serve(ln) }()
			log.Info("profiler listening", zap.String("addr", ln.Addr().String()))
			return nil
		},
		OnStop: srv.Shutdown,
	})
}

func newLogger(cfg Config, logCfg LogConfig, lc fx.Lifecycle) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(logCfg.Level)
	if err != nil {
		return nil, fmt.Errorf("CHAT_LOG_LEVEL: %w", err)
	}
	zc := zap.NewProductionConfig()
	if logCfg.Format == "console" {
		zc = zap.NewDevelopmentConfig()
	}
	zc.Level = zap.NewAtomicLevelAt(level)
	log, err := zc.Build()
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(func() { _ = log.Sync() }))
	return log.With(zap.String("profile", cfg.Profile)), nil
}
