/// Evaluation input that cannot be used as given: names the path (file, folder or option)
/// and the problem.
public struct EvalError: Error, CustomStringConvertible, Equatable, Sendable {
    public let path: String
    public let problem: String

    public init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    public var description: String { path.isEmpty ? problem : "\(path): \(problem)" }
}
