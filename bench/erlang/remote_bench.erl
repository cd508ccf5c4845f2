%% The remote cases of troupe-bench (bench/README.md, "Remote cases") on
%% Erlang distribution: two VMs on one machine, started by run.sh with
%% `erl -sname`, connected by the standard TCP distribution (epmd).
%%
%% Node 2 runs server/1: it registers the process the case talks to
%% (`pong` or `counter`) and waits. Node 1 runs main/1: it connects to node
%% 2, resolves the registered name to a pid (the counterpart of Troupe's
%% lookup), runs the measured phase against that pid, prints the RESULT
%% line, and stops node 2.
%%
%%   node 2:  erl -sname B ... -run remote_bench server CASE
%%   node 1:  erl -sname A ... -run remote_bench main CASE B [key=value ...]
%%
%% RESULT case=<case> impl=erlang n=<n> secs=<s> rate=<n/s> check=<c> rss_kb=<node 1's VmHWM>

-module(remote_bench).
-behaviour(gen_server).
-export([main/1, server/1]).
%% remote_ask_latency's server on node 2: a gen_server that answers each
%% call with its argument.
-export([init/1, handle_call/3, handle_cast/2]).

%% How long node 1 waits for node 2 to come up and register its process.
-define(STARTUP_MS, 30000).

%% ---------------------------------------------------------------------------
%% Node 2
%% ---------------------------------------------------------------------------

server([CaseS]) ->
    Name = registered_name(list_to_atom(CaseS)),
    %% Node 2 ends with node 1: when node 1 disconnects (it stopped, or
    %% crashed), nothing is left to serve.
    ok = net_kernel:monitor_nodes(true),
    Pid = case Name of
              pong -> spawn(fun pong_loop/0);
              echo ->
                  {ok, P} = gen_server:start(?MODULE, [], []),
                  P;
              %% Off-heap queue: the usual setting for a process that takes
              %% a flood of messages (as in the local fan_in of the peers).
              counter -> spawn_opt(fun counter_idle/0, [{message_queue_data, off_heap}])
          end,
    true = register(Name, Pid),
    receive
        {nodeup, _Node1} -> ok
    after ?STARTUP_MS ->
            io:format(standard_error, "remote_bench server: no node connected~n", []),
            halt(1)
    end,
    receive
        {nodedown, _} -> halt(0)
    end.

registered_name(remote_ping_pong) -> pong;
registered_name(remote_fan_in) -> counter;
registered_name(remote_ask_latency) -> echo;
registered_name(Other) ->
    io:format(standard_error, "remote_bench: unknown case ~p~n", [Other]),
    halt(2).

%% B of remote_ping_pong: told who A is, then answers every {ping, I}.
pong_loop() ->
    receive
        {hello, From} ->
            From ! pong_ready,
            pong_loop(From)
    end.

pong_loop(A) ->
    receive
        {ping, I} ->
            A ! {pong, I},
            pong_loop(A)
    end.

init([]) -> {ok, none}.
handle_call({ping, I}, _From, State) -> {reply, {pong, I}, State}.
handle_cast(_, State) -> {noreply, State}.

%% The counter of remote_fan_in: told n and whom to report to, then sums.
counter_idle() ->
    receive
        {expect, N, From} ->
            From ! counter_ready,
            counter(0, N, From)
    end.

counter(Sum, N, From) when Sum >= N ->
    From ! {fan_done, Sum};
counter(Sum, N, From) ->
    receive
        {add, V} -> counter(Sum + V, N, From)
    end.

%% ---------------------------------------------------------------------------
%% Node 1
%% ---------------------------------------------------------------------------

main([CaseS, Node2S | KVs]) ->
    Case = list_to_atom(CaseS),
    Params = try [parse_kv(KV) || KV <- KVs]
             catch _:_ ->
                     io:format(standard_error, "bad arguments ~p, expected key=integer~n", [KVs]),
                     halt(2)
             end,
    Node2 = full_node_name(Node2S),
    Target = lookup(Node2, registered_name(Case), erlang:monotonic_time(millisecond) + ?STARTUP_MS),
    {N, Nanos, Check, Expected, Extra} =
        case run(Case, Target, Params) of
            {_, _, _, _} = R4 -> erlang:append_element(R4, "");
            R5 -> R5
        end,
    Rss = vmhwm_kb(),
    %% Node 2 halts inside this call, so it returns {badrpc, nodedown}: by
    %% then node 2 is gone, and run.sh finds nothing left to clean up.
    _ = rpc:call(Node2, erlang, halt, [0], 10000),
    report(CaseS, N, Nanos, Check, Expected, Rss, Extra);
main(_) ->
    io:format(standard_error, "usage: remote_bench main CASE NODE2 [key=value ...]~n", []),
    halt(2).

%% "b_name" -> 'b_name@host', with this node's host part (both nodes run
%% here, under -sname).
full_node_name(Short) ->
    [_, Host] = string:split(atom_to_list(node()), "@"),
    list_to_atom(Short ++ "@" ++ Host).

%% Connects to Node2 and resolves Name there, retrying while node 2 is
%% still starting (its VM, then its registration).
lookup(Node2, Name, Deadline) ->
    Found = case net_kernel:connect_node(Node2) of
                true -> rpc:call(Node2, erlang, whereis, [Name], 5000);
                _ -> undefined
            end,
    case Found of
        Pid when is_pid(Pid) ->
            Pid;
        _ ->
            case erlang:monotonic_time(millisecond) < Deadline of
                true ->
                    timer:sleep(20),
                    lookup(Node2, Name, Deadline);
                false ->
                    io:format(standard_error, "remote_bench: ~p not found on ~p~n", [Name, Node2]),
                    halt(1)
            end
    end.

run(remote_ping_pong, B, P) -> ping_pong(B, P);
run(remote_fan_in, Counter, P) -> fan_in(Counter, P);
run(remote_ask_latency, Echo, P) -> ask_latency(Echo, P).

report(CaseS, N, Nanos, Check, Expected, Rss, Extra) ->
    Secs = Nanos / 1.0e9,
    Rate = case Nanos > 0 of
               true -> round(N / Secs);
               false -> 0
           end,
    io:format("RESULT case=~s impl=erlang n=~b secs=~.6f rate=~b check=~b rss_kb=~b~s~n",
              [CaseS, N, Secs, Rate, Check, Rss, Extra]),
    case Check =:= Expected of
        true ->
            halt(0);
        false ->
            io:format(standard_error, "CHECK FAILED: case=~s check=~b expected=~b~n",
                      [CaseS, Check, Expected]),
            halt(1)
    end.

parse_kv(KV) ->
    [K, V] = string:split(KV, "="),
    {list_to_atom(K), list_to_integer(V)}.

param(Key, Params, Default) ->
    proplists:get_value(Key, Params, Default).

now_ns() -> erlang:monotonic_time(nanosecond).

%% Peak RSS of this VM (node 1), in kB: VmHWM from /proc/self/status.
vmhwm_kb() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    hwm(string:split(Status, "\n", all)).

hwm([<<"VmHWM:", Rest/binary>> | _]) ->
    [Kb | _] = string:lexemes(Rest, " \t"),
    binary_to_integer(Kb);
hwm([_ | More]) -> hwm(More);
hwm([]) -> 0.

%% ---------------------------------------------------------------------------
%% remote_ping_pong: A (this process, node 1) sends {ping, I} to B (node 2),
%% B answers {pong, I}, and the next ping goes only after the pong.
%% check = the sum of the I that came back = n*(n-1)/2.
%% ---------------------------------------------------------------------------

ping_pong(B, P) ->
    N = param(n, P, 40000),
    B ! {hello, self()},
    receive pong_ready -> ok end,
    T0 = now_ns(),
    Sum = ping(B, 0, N, 0),
    T1 = now_ns(),
    {N, T1 - T0, Sum, N * (N - 1) div 2}.

ping(B, I, N, Sum) when I < N ->
    B ! {ping, I},
    receive
        {pong, J} -> ping(B, I + 1, N, Sum + J)
    end;
ping(_B, _I, _N, Sum) ->
    Sum.

%% ---------------------------------------------------------------------------
%% remote_fan_in: `producers` processes on node 1 each send their share of
%% n {add, 1} (n div producers, the first n rem producers one more) to the
%% counter on node 2 as fast as they can; distribution suspends a sender
%% while the connection's output buffer is over its limit (busy_dist_port),
%% Erlang's backpressure. The counter reports to this process when its sum
%% reaches n. check = n.
%% ---------------------------------------------------------------------------

fan_in(Counter, P) ->
    N = param(n, P, 1000000),
    Producers = max(1, param(producers, P, 4)),
    Counter ! {expect, N, self()},
    receive counter_ready -> ok end,
    Prods = [begin
                 Share = N div Producers + case I < N rem Producers of
                                               true -> 1;
                                               false -> 0
                                           end,
                 spawn_link(fun() -> receive go -> produce(Counter, Share) end end)
             end || I <- lists:seq(0, Producers - 1)],
    T0 = now_ns(),
    [Pr ! go || Pr <- Prods],
    Sum = receive {fan_done, S} -> S end,
    T1 = now_ns(),
    {N, T1 - T0, Sum, N}.

produce(_Counter, 0) -> ok;
produce(Counter, K) ->
    Counter ! {add, 1},
    produce(Counter, K - 1).

%% ---------------------------------------------------------------------------
%% remote_ask_latency: `askers` processes on node 1 each make their share of
%% n gen_server:call({ping, I}) to the echo server on node 2, one after
%% another, each timed from the call to its reply. The RESULT line adds the
%% percentiles in microseconds. check = the sum of the I that came back.
%% ---------------------------------------------------------------------------

ask_latency(Echo, P) ->
    N = param(n, P, 40000),
    Askers = max(1, param(askers, P, 1)),
    Self = self(),
    Shares = [{First, N div Askers + case I < N rem Askers of true -> 1; false -> 0 end}
              || {I, First} <- firsts(N, Askers)],
    T0 = now_ns(),
    [spawn_link(fun() -> Self ! {asked, ask(Echo, First, First + Count, [], 0)} end)
     || {First, Count} <- Shares],
    {Lat, Sum} = collect(length(Shares), [], 0),
    T1 = now_ns(),
    Sorted = lists:sort(Lat),
    Extra = io_lib:format(" askers=~b p50_us=~.1f p99_us=~.1f p999_us=~.1f",
                          [Askers, quantile(Sorted, 0.5), quantile(Sorted, 0.99),
                           quantile(Sorted, 0.999)]),
    {N, T1 - T0, Sum, N * (N - 1) div 2, lists:flatten(Extra)}.

%% {Index, first I} of each asker.
firsts(N, Askers) ->
    {Out, _} = lists:mapfoldl(
                 fun(I, First) ->
                         Count = N div Askers + case I < N rem Askers of true -> 1; false -> 0 end,
                         {{I, First}, First + Count}
                 end, 0, lists:seq(0, Askers - 1)),
    Out.

ask(_Echo, I, End, Lat, Sum) when I >= End -> {Lat, Sum};
ask(Echo, I, End, Lat, Sum) ->
    T0 = now_ns(),
    {pong, J} = gen_server:call(Echo, {ping, I}, infinity),
    ask(Echo, I + 1, End, [now_ns() - T0 | Lat], Sum + J).

collect(0, Lat, Sum) -> {Lat, Sum};
collect(K, Lat, Sum) ->
    receive {asked, {L, S}} -> collect(K - 1, L ++ Lat, Sum + S) end.

%% The Q-quantile (nearest rank) of sorted nanoseconds, in microseconds.
quantile([], _Q) -> 0.0;
quantile(Sorted, Q) ->
    Rank = round(Q * (length(Sorted) - 1)) + 1,
    lists:nth(Rank, Sorted) / 1000.0.
