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

// Core: logging, metrics, tracing, the clock, and the wait-at-start policy
// every module that connects follows.
func core(profile string, logCfg LogConfig, startup StartupConfig, debug DebugConfig) fx.Option {
	return fx.Options(
		fx.Supply(startup),
		fx.Module("core",
			fx.Supply(fx.Private, logCfg, debug),
			fx.Provide(func(logCfg LogConfig, lc fx.Lifecycle) (*zap.Logger, error) { return newLogger(profile, logCfg, lc) }),
			fx.Provide(metrics.New, newTracerProvider),
			fx.Provide(fx.Annotate(func() systemClock { return systemClock{} }, fx.As(new(ports.Clock)))),
			fx.Invoke(serveDebug),
		),
		fx.WithLogger(func(l *zap.Logger) fxevent.Logger {
			z := &fxevent.ZapLogger{Logger: l.Named("fx")}
			z.UseLogLevel(zapcore.DebugLevel)
			return z
		}),
		fx.StartTimeout(time.Duration(startup.Attempts+5)*startup.Every+15*time.Second),
	)
}

// serveDebug serves Go's profiler on CHAT_DEBUG_ADDR, when set.
func serveDebug(lc fx.Lifecycle, debug DebugConfig, log *zap.Logger) {
	if debug.Addr == "" {
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: debug.Addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	lc.Append(fx.Hook{
		OnStart: func(context.Context) error {
			ln, err := net.Listen("tcp", debug.Addr)
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

// newLogger builds the logger of the level and format the settings chose
// (both checked when they were loaded).
func newLogger(profile string, logCfg LogConfig, lc fx.Lifecycle) (*zap.Logger, error) {
	zc := zap.NewProductionConfig()
	if logCfg.Format == "console" {
		zc = zap.NewDevelopmentConfig()
	}
	zc.Level = zap.NewAtomicLevelAt(logCfg.Level)
	log, err := zc.Build()
	if err != nil {
		return nil, err
	}
	lc.Append(fx.StopHook(func() { _ = log.Sync() }))
	return log.With(zap.String("profile", profile)), nil
}
