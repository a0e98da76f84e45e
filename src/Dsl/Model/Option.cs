namespace Mtl.Dsl.Model;

/// <summary>
/// One option after binding. <see cref="IsDefault"/> tells a written value from an applied default;
/// <see cref="Value"/> is null for an optional option that has no default and was not given.
/// </summary>
public sealed record Option(string Name, OptionValue? Value, bool IsDefault);
