// Package httpapi is the inbound REST adapter (Fiber): routes, JSON shapes,
// pagination cursors, the one error mapping, and the operational endpoints.
// It calls the application's use cases and knows nothing of the stores.
package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/pprof"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/domain"
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
	// TrustedProxies are the addresses (IPs, CIDRs) of proxies whose
	// X-Real-IP names the client; a request from anywhere else is its
	// sender's.
	TrustedProxies []string
	// AppLimits are the per-application budgets (UseCases.Limiter counts them).
	AppLimits AppLimits
	// Heartbeat: how often an idle live stream sends a comment (0: 15 s).
	Heartbeat time.Duration
}

// Check is one dependency /readyz reports on.
type Check struct {
	Name string
	Ping func(ctx context.Context) error
	// Optional dependencies are reported but do not make the instance unready.
	Optional bool
	// Degrades: without this dependency the instance still serves, more
	// slowly (Redis for the api: writes go through MySQL); /readyz then
	// says "degraded" and answers 200.
	Degrades bool
}

// Server is the api's HTTP server.
type Server struct {
	app *fiber.App
	cfg Config
	log *zap.Logger
	ln  net.Listener
	// role names the server in its log lines: the api's, or a worker's ops port.
	role string
	// live, if any, ends its streams when the server stops.
	live interface{ Close() }

	routesOnce sync.Once
	routes     []route
}

// NewServer builds the routes.
// tracer, if not nil, opens a server span for each API request (see observe).
func NewServer(cfg Config, uc UseCases, checks []Check, m *metrics.Metrics, log *zap.Logger, tracer trace.Tracer) *Server {
	s := newBare(cfg, checks, m, log, tracer)
	s.role = "api"
	if uc.Live != nil {
		s.live = uc.Live
	}
	app := s.app
	api := app.Group("/api/v1")
	if cfg.RateLimit > 0 {
		api.Use(limiter.New(limiter.Config{
			Max:          cfg.RateLimit,
			Expiration:   time.Second,
			KeyGenerator: clientAddress,
			LimitReached: func(c *fiber.Ctx) error {
				return fiber.NewError(fiber.StatusTooManyRequests)
			},
		}))
	}
	// A client that has a resource or a page asks with If-None-Match and
	// gets 304 while it has not changed (an edit changes its ETag).
	api.Use(etags)
	api.Use(refuseEmptyParameters)
	h := &handlers{uc: uc, heartbeat: cfg.Heartbeat}
	if h.heartbeat <= 0 {
		h.heartbeat = 15 * time.Second
	}
	l := cfg.AppLimits
	write := limitApp(uc.Limiter, "write", budget{l.WriteRate, l.WriteBurst}, budget{l.UserWriteRate, l.UserWriteBurst}, log)
	read := limitApp(uc.Limiter, "read", budget{l.ReadRate, l.ReadBurst}, budget{l.UserReadRate, l.UserReadBurst}, log)
	typing := limitApp(uc.Limiter, "typing", budget{}, budget{l.TypingRate, l.TypingBurst}, log)
	api.Post("/chat_applications", h.createApplication)
	api.Get("/chat_applications", operatorOnly(cfg.AdminToken), h.listApplications)
	// Every route of an application authenticates its caller first (auth.go).
	auth := h.authenticate
	api.Get("/chat_applications/:token", auth, read, h.getApplication)
	api.Patch("/chat_applications/:token", auth, write, h.updateApplication)
	api.Put("/chat_applications/:token", auth, write, h.updateApplication)
	api.Delete("/chat_applications/:token", auth, write, h.deleteApplication)
	api.Post("/chat_applications/:token/secrets", auth, write, h.rotateSecret)
	api.Delete("/chat_applications/:token/secrets/previous", auth, write, h.revokePreviousSecret)
	api.Post("/chat_applications/:token/chats", auth, write, h.createChat)
	api.Get("/chat_applications/:token/chats", auth, read, h.listChats)
	api.Post("/chat_applications/:token/webhooks", auth, write, h.createWebhook)
	api.Get("/chat_applications/:token/webhooks", auth, read, h.listWebhooks)
	api.Delete("/chat_applications/:token/webhooks/:webhook", auth, write, h.deleteWebhook)
	api.Get("/chat_applications/:token/webhooks/:webhook/deliveries", auth, read, h.listDeliveries)
	api.Post("/chat_applications/:token/webhooks/:webhook/replay", auth, write, h.replayWebhook)
	api.Get("/chat_applications/:token/events", auth, read, h.feed)
	// A user reaches a chat by their role and its visibility (members.go).
	reads, posts := h.mayChat(domain.ActRead), h.mayChat(domain.ActPost)
	api.Get("/chat_applications/:token/chats/:chat", auth, reads, read, h.getChat)
	api.Patch("/chat_applications/:token/chats/:chat", auth, write, h.updateChat)
	// The live endpoints also take a user token as ?access_token= (auth.go).
	always := func(*fiber.Ctx) bool { return true }
	longPoll := func(c *fiber.Ctx) bool { return c.Query("wait") != "" }
	api.Get("/chat_applications/:token/chats/:chat/events", h.authenticateLive(always), reads, read, h.followChat)
	// A user's one stream of all their chats, and what they are typing (melive.go).
	api.Get("/chat_applications/:token/me/events", h.authenticateLive(always), read, h.followUser)
	api.Post("/chat_applications/:token/chats/:chat/typing", auth, h.mayType, typing, h.typing)
	api.Post("/chat_applications/:token/chats/:chat/messages", auth, posts, write, h.createMessage)
	api.Get("/chat_applications/:token/chats/:chat/messages", h.authenticateLive(longPoll), reads, read, h.listMessages)
	api.Get("/chat_applications/:token/chats/:chat/messages/search", auth, reads, read, h.searchMessages)
	api.Get("/chat_applications/:token/chats/:chat/members", auth, read, h.listMembers)
	api.Put("/chat_applications/:token/chats/:chat/members/:user_id", auth, write, h.putMember)
	api.Delete("/chat_applications/:token/chats/:chat/members/:user_id", auth, write, h.removeMember)
	// A user's own state (reads.go): reading is reading, so a read token
	// marks read, on the read budget.
	api.Put("/chat_applications/:token/chats/:chat/read", auth, read, h.markRead)
	api.Get("/chat_applications/:token/me/chats", auth, read, h.myChats)
	api.Get("/chat_applications/:token/chats/:chat/messages/:message", auth, reads, read, h.getMessage)
	// …/messages/search is the search's path, not a message's.
	message := func(c *fiber.Ctx) error {
		if c.Params("message") == "search" {
			return s.unmatched(c)
		}
		return c.Next()
	}
	api.Get("/chat_applications/:token/chats/:chat/messages/:message/replies", message, auth, reads, read, h.listReplies)
	changes := h.mayChangeMessage
	api.Patch("/chat_applications/:token/chats/:chat/messages/:message", message, auth, changes, write, h.editMessage)
	api.Put("/chat_applications/:token/chats/:chat/messages/:message", message, auth, changes, write, h.editMessage)
	api.Delete("/chat_applications/:token/chats/:chat/messages/:message", message, auth, changes, write, h.deleteMessage)
	app.Use(s.unmatched)
	return s
}

// NewOpsServer serves only the operational endpoints (the worker's), plus
// Go's profiler under /debug/pprof: the worker's port is an operator's.
func NewOpsServer(cfg Config, checks []Check, m *metrics.Metrics, log *zap.Logger) *Server {
	s := newBare(cfg, checks, m, log, nil)
	s.role = "health and metrics"
	s.app.Use(pprof.New())
	s.app.Use(s.unmatched)
	return s
}

func newBare(cfg Config, checks []Check, m *metrics.Metrics, log *zap.Logger, tracer trace.Tracer) *Server {
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
		// c.IP() is X-Real-IP only on a request from a trusted proxy
		// (nginx sets it to the address it was connected from).
		ProxyHeader:             "X-Real-IP",
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		EnableIPValidation:      true,
	})
	app.Use(recover.New())
	app.Use(requestIDs)
	app.Use(observe(m, log, tracer))
	app.Use(refuseEncodedBodies)

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", readyz(checks))
	metricsHandler := fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	app.Get("/metrics", func(c *fiber.Ctx) error { metricsHandler(c.Context()); return nil })
	app.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(openAPI)
	})

	s := &Server{app: app, cfg: cfg, log: log}
	srv := app.Server()
	// Parse errors quote the request (credentials included) unless told not to;
	// the error handler answers them with fixed messages anyway.
	srv.SecureErrorLogMessage = true
	srv.Handler = s.knownMethodsOnly(srv.Handler)
	return s
}

// clientAddress is whom a request is from: the X-Real-IP a trusted proxy
// set, else the connection's address.
func clientAddress(c *fiber.Ctx) string {
	if ip := c.IP(); ip != "" {
		return ip
	}
	return c.Context().RemoteIP().String()
}

// refuseEmptyParameters: a query parameter given empty (cursor=) is none of
// the values the document allows, so it is refused rather than taken for
// absent.
func refuseEmptyParameters(c *fiber.Ctx) error {
	for k, v := range c.Context().QueryArgs().All() {
		if len(v) == 0 {
			return badRequest("query parameter " + string(k) + " is empty: give it a value, or leave it out")
		}
	}
	return c.Next()
}

// refuseEncodedBodies: Fiber would inflate a compressed body without a
// bound (536 bytes can become 210 MB), so compressed requests are refused.
func refuseEncodedBodies(c *fiber.Ctx) error {
	if enc := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); enc != "" && !strings.EqualFold(enc, "identity") {
		return &apiError{status: fiber.StatusUnsupportedMediaType, code: "unsupported_media_type", message: "compressed request bodies (Content-Encoding) are not accepted"}
	}
	return c.Next()
}

// App is the Fiber app, for tests that call it in-process.
func (s *Server) App() *fiber.App { return s.app }

// Start listens at once (so a taken port fails the start) and serves in the background.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	// Linger over what a client may still be sending of an oversized body
	// (up to 8 times the request limit, at least 8 MiB) for up to two seconds.
	ln = guardListener{Listener: ln, lingerBytes: max(8*int64(s.cfg.MaxRequestBytes), 8<<20), lingerTime: 2 * time.Second}
	s.ln = ln
	go func() {
		if err := s.app.Listener(ln); err != nil {
			s.log.Error(s.role+" stopped serving", zap.Error(err))
		}
	}()
	s.log.Info(s.role+" listening", zap.String("addr", ln.Addr().String()))
	return nil
}

// Addr is where the server listens, once started.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Stop stops accepting connections and waits for in-flight requests.
func (s *Server) Stop(ctx context.Context) error {
	if s.live != nil {
		s.live.Close() // live streams end at once: their clients reconnect elsewhere
	}
	return s.app.ShutdownWithContext(ctx)
}

// observe measures every request, logs it at debug level and, given a
// tracer, spans each API request (see startSpan).
func observe(m *metrics.Metrics, log *zap.Logger, tracer trace.Tracer) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		// Fiber's strings point into buffers it reuses: labels and spans must own theirs.
		method := strings.Clone(c.Method())
		var span trace.Span
		if tracer != nil && strings.HasPrefix(c.Path(), "/api/v1") {
			span = startSpan(c, tracer, method)
		}
		// An error is answered here rather than on its way out, so that it
		// is classified once and the status measured is the one answered.
		err := c.Next()
		if err != nil {
			err = c.App().ErrorHandler(c, err)
		}
		status := c.Response().StatusCode()
		route := strings.Clone(c.Route().Path)
		if status == fiber.StatusNotFound && route == "/" {
			route = "unmatched"
		}
		m.RequestDuration.WithLabelValues(method, route, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
		// An access line per request at debug level (CHAT_LOG_LEVEL=debug):
		// with the worker's, one grep of a request id follows its event.
		if ce := log.Check(zap.DebugLevel, "request"); ce != nil {
			ce.Write(zap.String("method", method), zap.String("route", route), zap.Int("status", status),
				zap.Duration("took", time.Since(start)), zap.String("request_id", requestID(c)))
		}
		if span != nil {
			endSpan(span, method, route, status, requestID(c))
		}
		return err
	}
}

func readyz(checks []Check) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		ready, degraded := true, false
		deps := make(map[string]fiber.Map, len(checks))
		for _, ch := range checks {
			if err := ch.Ping(ctx); err != nil {
				deps[ch.Name] = fiber.Map{"status": "down", "error": err.Error(), "optional": ch.Optional}
				ready = ready && (ch.Optional || ch.Degrades)
				degraded = degraded || ch.Degrades
				continue
			}
			deps[ch.Name] = fiber.Map{"status": "up", "optional": ch.Optional}
		}
		status, code := "ready", fiber.StatusOK
		if degraded {
			status = "degraded"
		}
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
	if b, ok := fastJSON(v); ok {
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
