using Mtl.Training;
using Xunit;

namespace Mtl.Runtime.Tests.Distributed;

/// <summary><see cref="DistributedProcess"/> reads the torchrun variables, and names a bad one.</summary>
public sealed class DistributedProcessTests
{
    private static Func<string, string?> Variables(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Without_world_size_the_process_trains_alone() =>
        Assert.Null(DistributedProcess.FromVariables(Variables(("RANK", "1")), null));

    [Theory]
    [InlineData("1", "1", null, "RANK is '1': it must be a whole number in [0, 0]")]
    [InlineData("0", "0", null, "WORLD_SIZE is '0': it must be a whole number in [1, 2147483647]")]
    [InlineData("two", "0", null, "WORLD_SIZE is 'two': it must be a whole number in [1, 2147483647]")]
    [InlineData("2", null, null, "RANK is not set, but WORLD_SIZE is: a data-parallel process needs both")]
    [InlineData("2", "-1", null, "RANK is '-1': it must be a whole number in [0, 1]")]
    [InlineData("2", "0", "70000", "MASTER_PORT is '70000': it must be a whole number in [1, 65535]")]
    public void A_malformed_variable_is_named_with_its_value(string world, string? rank, string? port, string message)
    {
        var values = new List<(string, string)> { ("WORLD_SIZE", world) };
        if (rank is not null) values.Add(("RANK", rank));
        if (port is not null) values.Add(("MASTER_PORT", port));
        var error = Assert.Throws<InvalidOperationException>(() => DistributedProcess.FromVariables(Variables([.. values]), TimeSpan.FromSeconds(1)));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void One_rank_alone_joins_its_own_store_and_group()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        using var process = DistributedProcess.FromVariables(Variables(("WORLD_SIZE", "1"), ("RANK", "0"), ("MASTER_PORT", port.ToString(System.Globalization.CultureInfo.InvariantCulture))), TimeSpan.FromSeconds(10));
        Assert.NotNull(process);
        Assert.Equal((0, 1), (process.Rank, process.WorldSize));
        process.Group.barrier();
    }
}
