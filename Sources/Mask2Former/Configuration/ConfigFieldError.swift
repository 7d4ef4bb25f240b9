// The error of a config field that is the wrong type or outside the range the model can run.

/// A field of a config file that is the wrong type or outside the range the model can run.
/// The loader adds the file name; `description` is the rest of the one-line message.
public struct ConfigFieldError: Error, CustomStringConvertible, Equatable {
    /// Dotted path, e.g. `backbone_config.num_heads[2]`.
    public var field: String
    public var value: String
    /// What is allowed, e.g. "an integer from 1 to 64".
    public var allowed: String

    public init(field: String, value: String, allowed: String) {
        self.field = field; self.value = value; self.allowed = allowed
    }

    public var description: String { "\(field) is \(value); must be \(allowed)" }
}
