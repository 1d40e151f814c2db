/**
 * @q/core: actors, messages, middleware, the worker and the broker contract of @q,
 * a Dramatiq-compatible task queue for Node.js. Brokers live in their own packages; helpers
 * for writing one (or a middleware) are in `@q/core/broker`, test tools in `@q/core/testing`.
 */
export { actor } from "./actor/declareActor";
export type { Actor, NextParameter } from "./actor/Actor";
export type { ActorOptions, ErrorClass } from "./actor/ActorOptions";
export type { SendOptions } from "./actor/SendOptions";
export type { ParameterRange } from "./actor/parameterRange";

export { Broker, DEFAULT_MAX_MESSAGE_SIZE, type BrokerOptions, type JoinOptions } from "./broker/Broker";
export type { Consumer, ConsumeOptions } from "./broker/Consumer";
export type { QueueDepth } from "./broker/QueueDepth";
export type { QueueInspector, InspectorCapabilities } from "./inspection/QueueInspector";
export type { QueueSummary } from "./inspection/QueueSummary";
export type { InspectedMessage } from "./inspection/InspectedMessage";
export type { MessagePage, ListMessagesOptions } from "./inspection/MessagePage";
export type { WorkerSummary } from "./inspection/WorkerSummary";
export { type QueuePart, QUEUE_PARTS } from "./inspection/QueuePart";
export { inspectorOf } from "./inspection/inspectorOf";
export { setBroker, getBroker } from "./broker/globalBroker";

export { Message, type MessageInit } from "./message/Message";
export type { MessageData } from "./message/MessageData";
export { MessageProxy } from "./message/MessageProxy";

export type { Encoder } from "./encoding/Encoder";
export { JSONEncoder } from "./encoding/JSONEncoder";
export { setEncoder, getEncoder } from "./encoding/globalEncoder";

export { Middleware, type MiddlewareHooks, type HookName, type ProcessOutcome, type AdmissionRelease } from "./middleware/Middleware";
export { defaultMiddleware } from "./middleware/defaultMiddleware";
export { AgeLimit } from "./middleware/AgeLimit";
export { TimeLimit } from "./middleware/TimeLimit";
export { ShutdownNotifications } from "./middleware/ShutdownNotifications";
export { Callbacks } from "./middleware/Callbacks";
export { Pipelines } from "./middleware/Pipelines";
export { Retries, type RetriesOptions } from "./middleware/Retries";
export { CurrentMessage } from "./middleware/CurrentMessage";
export { GroupCallbacks } from "./middleware/GroupCallbacks";
export { Results, type ResultsOptions } from "./middleware/Results";

export { ResultBackend, type ResultBackendOptions, type GetResultOptions, type ResultKeyParts } from "./results/ResultBackend";
export { Missing } from "./results/Missing";

export { Worker, type WorkerOptions } from "./worker/Worker";

export type { ForkFunctionRef } from "./supervision/ForkFunctionRef";
export type { ForkContext, CollectOptions, WorkerValue, WorkerProcessInfo } from "./supervision/ForkContext";
export type { SupervisorChannel } from "./supervision/SupervisorChannel";
export { setSupervisorChannel, getSupervisorChannel } from "./supervision/globalSupervisorChannel";
export { currentSignal } from "./worker/currentSignal";

export { Pipeline, pipeline, type CompositionResultOptions } from "./composition/Pipeline";
export { Group, group, type CompletedMember } from "./composition/Group";
export type { Step, StepResult, StepInput, PipeMismatch } from "./composition/chainTypes";

export type { RateLimiterBackend } from "./ratelimits/RateLimiterBackend";
export { Barrier } from "./ratelimits/Barrier";

export type { Logger } from "./logging/Logger";
export { defaultLogger, setDefaultLogger } from "./logging/defaultLogger";
export { createLogger, type LogSettings } from "./logging/createLogger";
export { formatLine } from "./logging/formatLine";

export { QError, isQError } from "./errors/QError";
export { ConfigurationError } from "./errors/ConfigurationError";
export { BrokerError } from "./errors/BrokerError";
export { DeliveryLost } from "./errors/DeliveryLost";
export { ActorNotFound } from "./errors/ActorNotFound";
export { QueueNotFound } from "./errors/QueueNotFound";
export { MessageNotFound } from "./errors/MessageNotFound";
export { InspectionUnsupported } from "./errors/InspectionUnsupported";
export { ConnectionError } from "./errors/ConnectionError";
export { ConnectionFailed } from "./errors/ConnectionFailed";
export { ConnectionClosed } from "./errors/ConnectionClosed";
export { QueueJoinTimeout } from "./errors/QueueJoinTimeout";
export { RateLimitExceeded } from "./errors/RateLimitExceeded";
export { Retry } from "./errors/Retry";
export { ResultError } from "./errors/ResultError";
export { ResultTimeout } from "./errors/ResultTimeout";
export { ResultMissing } from "./errors/ResultMissing";
export { ResultFailure } from "./errors/ResultFailure";
export { DecodeError } from "./errors/DecodeError";
export { EncodeError } from "./errors/EncodeError";
export { MessageTooLarge } from "./errors/MessageTooLarge";
export { ActorDefinitionError } from "./errors/ActorDefinitionError";
export { ArgumentError } from "./errors/ArgumentError";
export { MiddlewareError } from "./errors/MiddlewareError";
export { MiddlewareMissing } from "./errors/MiddlewareMissing";
export { SkipMessage } from "./errors/SkipMessage";
export { Interrupt } from "./errors/Interrupt";
export { TimeLimitExceeded } from "./errors/TimeLimitExceeded";
export { Shutdown } from "./errors/Shutdown";
