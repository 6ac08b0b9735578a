// Package stream is the worker's side of the event log on Redis Streams,
// through Watermill: the batch-reading subscriber, the consumer (batching,
// retries, the dead-letter stream and its replays) and the upkeep of the
// streams (consumer groups kept, acknowledged entries trimmed). The wire
// format is adapters/eventwire's; the api's reads of the log are
// adapters/streamlog's.
package stream
