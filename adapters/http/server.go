// Package http is the inbound REST adapter (Fiber): routes, JSON shapes,
// pagination cursors, the one error mapping, and the operational endpoints.
// It calls the application's use cases and knows nothing of the stores.
package http

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/pprof"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/metrics"
)

//go:embed openapi.json
var openAPI []byte

// Config is the http adapter's part of the configuration.
type Config struct {
	Addr            string
	AdminToken      string
	MaxRequestBytes int
	// RateLimit is requests per second per client address; 0 turns it off.
	RateLimit int
}

// Check is one dependency /readyz reports on.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
	// Optional dependencies are reported but do not make the instance unready.
	Optional bool
}

// Server is the api's HTTP server.
type Server struct {
	app *fiber.App
	cfg Config
	log *zap.Logger
	ln  net.Listener
}

// NewServer builds the routes.
func NewServer(cfg Config, uc UseCases, checks []Check, m *metrics.Metrics, log *zap.Logger) *Server {
	s := newBare(cfg, checks, m, log)
	app := s.app
	api := app.Group("/api/v1")
	if cfg.RateLimit > 0 {
		api.Use(limiter.New(limiter.Config{
			Max:        cfg.RateLimit,
			Expiration: time.Second,
			LimitReached: func(c *fiber.Ctx) error {
				return fiber.NewError(fiber.StatusTooManyRequests)
			},
		}))
	}
	h := &handlers{uc: uc, adminToken: cfg.AdminToken}
	api.Post("/chat_applications", h.createApplication)
	api.Get("/chat_applications", h.listApplications)
	api.Get("/chat_applications/:token", h.getApplication)
	api.Patch("/chat_applications/:token", h.renameApplication)
	api.Put("/chat_applications/:token", h.renameApplication)
	api.Post("/chat_applications/:token/chats", h.createChat)
	api.Get("/chat_applications/:token/chats", h.listChats)
	api.Get("/chat_applications/:token/chats/:chat", h.getChat)
	api.Post("/chat_applications/:token/chats/:chat/messages", h.createMessage)
	api.Get("/chat_applications/:token/chats/:chat/messages", h.listMessages)
	api.Get("/chat_applications/:token/chats/:chat/messages/search", h.searchMessages)
	api.Get("/chat_applications/:token/chats/:chat/messages/:message", h.getMessage)
	api.Patch("/chat_applications/:token/chats/:chat/messages/:message", h.editMessage)
	api.Put("/chat_applications/:token/chats/:chat/messages/:message", h.editMessage)
	app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return s
}

// NewOpsServer serves only the operational endpoints (the worker's), plus
// Go's profiler under /debug/pprof: the worker's port is an operator's.
func NewOpsServer(cfg Config, checks []Check, m *metrics.Metrics, log *zap.Logger) *Server {
	s := newBare(cfg, checks, m, log)
	s.app.Use(pprof.New())
	s.app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return s
}

func newBare(cfg Config, checks []Check, m *metrics.Metrics, log *zap.Logger) *Server {
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = 1 << 20
	}
	app := fiber.New(fiber.Config{
		AppName: "chat",
		// Fiber's strings otherwise point into request buffers that it reuses;
		// the use cases keep some of them (cache keys, events) past the request.
		Immutable:             true,
		JSONEncoder:           encodeJSON,
		BodyLimit:             cfg.MaxRequestBytes,
		ErrorHandler:          errorHandler(log),
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	app.Use(recover.New())
	app.Use(requestid.New(requestid.Config{Header: fiber.HeaderXRequestID}))
	app.Use(observe(m))

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", readyz(checks))
	metricsHandler := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	app.Get("/metrics", func(c *fiber.Ctx) error { metricsHandler(c.Context()); return nil })
	app.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(openAPI)
	})

	return &Server{app: app, cfg: cfg, log: log}
}

// App is the Fiber app, for tests that call it in-process.
func (s *Server) App() *fiber.App { return s.app }

// Start listens at once (so a taken port fails the start) and serves in the background.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	s.ln = ln
	go func() {
		if err := s.app.Listener(ln); err != nil {
			s.log.Error("api stopped serving", zap.Error(err))
		}
	}()
	s.log.Info("api listening", zap.String("addr", ln.Addr().String()))
	return nil
}

// Addr is where the server listens, once started.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Stop stops accepting connections and waits for in-flight requests.
func (s *Server) Stop(ctx context.Context) error {
	return s.app.ShutdownWithContext(ctx)
}

func observe(m *metrics.Metrics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status, _, _ = classify(err)
		}
		// Fiber's strings point into buffers it reuses: labels must own theirs.
		route := strings.Clone(c.Route().Path)
		if status == fiber.StatusNotFound && route == "/" {
			route = "unmatched"
		}
		m.RequestDuration.WithLabelValues(strings.Clone(c.Method()), route, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
		return err
	}
}

func readyz(checks []Check) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		ready := true
		deps := make(map[string]fiber.Map, len(checks))
		for _, ch := range checks {
			if err := ch.Ping(ctx); err != nil {
				deps[ch.Name] = fiber.Map{"status": "down", "error": err.Error(), "optional": ch.Optional}
				ready = ready && ch.Optional
				continue
			}
			deps[ch.Name] = fiber.Map{"status": "up", "optional": ch.Optional}
		}
		status, code := "ready", fiber.StatusOK
		if !ready {
			status, code = "unavailable", fiber.StatusServiceUnavailable
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(retryAfterSeconds))
		}
		return c.Status(code).JSON(fiber.Map{"status": status, "dependencies": deps})
	}
}

// encodeJSON is encoding/json without HTML escaping, so that a highlight's
// <em> reads as <em> in the body rather than \u003cem\u003e.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func requestID(c *fiber.Ctx) string { return string(c.Response().Header.Peek(fiber.HeaderXRequestID)) }

// ensureRequestID covers answers given before the middleware ran (a body over
// the limit is refused while it is being read).
func ensureRequestID(c *fiber.Ctx) {
	if requestID(c) != "" {
		return
	}
	if id := c.Get(fiber.HeaderXRequestID); id != "" {
		c.Set(fiber.HeaderXRequestID, id)
		return
	}
	c.Set(fiber.HeaderXRequestID, requestid.ConfigDefault.Generator())
}
