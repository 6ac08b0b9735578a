package stream

import (
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"go.uber.org/zap"
)

// NewInProcess is the embedded profile's queue. Publish blocks until the
// in-process worker acknowledged the event, that is, until it is durably in
// the embedded database, so an acknowledged create survives a kill -9.
// Each partition has one subscriber (a Go channel fans out to every
// subscriber of a topic, so more would apply every event several times).
func NewInProcess(log *zap.Logger) *gochannel.GoChannel {
	return gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, NewZapLogger(log))
}
