/// What the dashboard (or a signal handler) asks of a running search. The engine takes commands
/// between minibatch steps, in the order they were sent.
public enum SearchCommand: Equatable, Sendable {
    /// Stop computing after the current step and write a checkpoint; commands are still taken.
    case pause
    case resume
    /// Remove an operation by hand, exactly as a reduction step would. Refused, with the reason in a
    /// `veto` event, for an op already gone, the last op of an edge, or an edge's last real op.
    case veto(OperationRef)
    /// End the search after the current step: checkpoint, genotype from the current state, `finished`.
    case stop
    /// Write a checkpoint now.
    case checkpoint
}
