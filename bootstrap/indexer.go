package bootstrap

import (
	"github.com/ThreeDotsLabs/watermill/message"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/chatsvc/chat/adapters/metrics"
	"github.com/chatsvc/chat/adapters/stream"
	"github.com/chatsvc/chat/application"
	"github.com/chatsvc/chat/ports"
)

// The worker's indexing consumer group: events into the search index, in
// bulks of their own size (CHAT_INDEXER_MAX_BATCH, CHAT_INDEXER_LINGER),
// dead letters in a stream of their own.
func indexerModule(streamCfg StreamConfig, consumer ConsumerConfig, indexer IndexerConfig) fx.Option {
	return fx.Module("indexer",
		fx.Provide(fx.Annotate(func(subscribeTo subscribe, dead message.Publisher, ix ports.SearchIndex,
			m *metrics.Metrics, log *zap.Logger, tp trace.TracerProvider) (*stream.Consumer, error) {
			cc := consumerConfig(consumer)
			cc.DeadLetterTopic = streamCfg.Topics().DeadLetter() + ".index"
			cc.MaxBatch, cc.Linger = indexer.MaxBatch, indexer.Linger
			sub, err := subscribeTo(streamCfg.IndexerGroup)
			if err != nil {
				return nil, err
			}
			return stream.NewConsumer(cc, streamCfg.Topics(), sub, dead, application.NewIndexer(ix),
				log.Named("indexer"), stream.Hooks{Applied: m.EventsIndexed.Inc, Failed: m.EventsFailed.Inc, DeadLettered: m.EventsDead.Inc,
					Lag:    lagOf(m, "index"),
					Tracer: tracer(tp, "github.com/chatsvc/chat/adapters/stream"), Stage: "index"})
		}, fx.ResultTags(`name:"indexer"`))),
		fx.Invoke(fx.Annotate(runConsumer, fx.ParamTags(``, `name:"indexer"`))),
	)
}
