namespace Mtl.Runtime.Tests;

/// <summary>Locates files of the repository from the test output folder.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string NativeSources => Path.Combine(Root, "src", "Torch", "Shim", "src");

    public static string ManagedBinding => Path.Combine(Root, "src", "Torch");

    public static string NativeLibrary => Path.Combine(AppContext.BaseDirectory, "libmtl_torch.so");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dsl.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("the repository root (holding Dsl.sln) was not found above " + AppContext.BaseDirectory);
    }
}
