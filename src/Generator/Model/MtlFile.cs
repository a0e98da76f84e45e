namespace Mtl.Generator.Model;

/// <summary>One .mtl file's path and text: the input of a compilation step.</summary>
internal sealed record MtlFile(string Path, string Text);
