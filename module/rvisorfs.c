// SPDX-License-Identifier: GPL-2.0
/*
 * rvisorfs: one sandbox's view of the machine as files the manager binds over the sandbox's
 * /proc and /sys (meminfo, cpuinfo, stat, uptime, loadavg, swaps, vmstat, diskstats and
 * cpu/{online,possible,present}), laid out as the kernel's own so that free, top, nproc,
 * libc and language runtimes parse them. Each file is computed when it is read (view.c) and
 * kept for that open file's later reads (seq_file), so partial reads and seeks see one
 * consistent text.
 *
 * Mounting is the manager's alone: the options name its open /dev/rvisor (fd=N, in the
 * mounter's table) and one of its sandboxes (sandbox=ID); see the UAPI header. A superblock
 * holds a reference on its sandbox (which pins the module, as the file system type does) and
 * the mounter's /proc/cpuinfo, read and filtered for cpuinfo.
 *
 * The tree is static: a directory finds its entries in a table at lookup and readdir, and
 * each lookup makes a fresh, unhashed inode, so nothing is pinned and kill_anon_super()
 * tears it down on every kernel.
 */
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/sched/loadavg.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/vmalloc.h>
#include <asm/param.h>

#include "compat.h"
#include "internal.h"

#define RVISORFS_CPUINFO_MAX (16U << 20) /* bytes of the host's cpuinfo read at most */

/* What a superblock holds (s_fs_info); everything it holds is a reference. */
struct rvisorfs_info {
	struct rvisor_sandbox *sb;
	struct path cpuinfo;       /* the mounter's /proc/cpuinfo, on procfs */
	const struct cred *cred;   /* the mounter's: cpuinfo is read with them */
};

/* The mount options while a mount is being set up (fs_context.fs_private). */
struct rvisorfs_ctx {
	u32 fd;
	u64 id;
	bool has_fd, has_id;
	struct rvisorfs_info *info; /* from get_tree until fill_super takes it */
};

/* One file or directory of the static tree. */
struct rvisorfs_entry {
	const char *name;
	umode_t mode;
	unsigned long ino;
	int (*show)(struct seq_file *m, void *v);
	size_t per_cpu;                          /* bytes of text per online CPU (buffer hint) */
	const struct rvisorfs_entry *children;   /* directories: ends with an empty entry */
};

static void rvisorfs_info_free(struct rvisorfs_info *info)
{
	if (!info)
		return;
	if (info->cpuinfo.mnt)
		path_put(&info->cpuinfo);
	if (info->cred)
		put_cred(info->cred);
	if (info->sb)
		rvisor_sandbox_put_sync(info->sb); /* umount, then rmmod, works at once */
	kfree(info);
}

/* The sandbox whose figures a read wants, or NULL once they are gone: its init exited (its
 * tasks are dying) or it is being destroyed. */
static struct rvisor_sandbox *rvisorfs_sandbox(struct seq_file *m)
{
	struct rvisorfs_info *info = m->private;
	struct rvisor_sandbox *sb = info->sb;

	if (test_bit(RVISOR_SB_INIT_EXITED, &sb->state) || test_bit(RVISOR_SB_DESTROYING, &sb->state))
		return NULL;
	return sb;
}

/* ---- the files ------------------------------------------------------------------------ */

/* "Label:" then the value in kB, in the columns /proc/meminfo uses. */
static void rvisorfs_kb(struct seq_file *m, const char *label, u64 bytes)
{
	seq_printf(m, "%-16s%8llu kB\n", label, bytes >> 10);
}

static void rvisorfs_meminfo_lru(struct seq_file *m, const u64 *st)
{
	rvisorfs_kb(m, "Active:", st[RVISOR_MEM_ACTIVE_ANON] + st[RVISOR_MEM_ACTIVE_FILE]);
	rvisorfs_kb(m, "Inactive:", st[RVISOR_MEM_INACTIVE_ANON] + st[RVISOR_MEM_INACTIVE_FILE]);
	rvisorfs_kb(m, "Active(anon):", st[RVISOR_MEM_ACTIVE_ANON]);
	rvisorfs_kb(m, "Inactive(anon):", st[RVISOR_MEM_INACTIVE_ANON]);
	rvisorfs_kb(m, "Active(file):", st[RVISOR_MEM_ACTIVE_FILE]);
	rvisorfs_kb(m, "Inactive(file):", st[RVISOR_MEM_INACTIVE_FILE]);
	rvisorfs_kb(m, "Unevictable:", st[RVISOR_MEM_UNEVICTABLE]);
	rvisorfs_kb(m, "Mlocked:", 0);
}

static void rvisorfs_meminfo_kernel(struct seq_file *m, const u64 *st)
{
	u64 slab = st[RVISOR_MEM_SLAB_RECLAIMABLE] + st[RVISOR_MEM_SLAB_UNRECLAIMABLE];

	rvisorfs_kb(m, "Dirty:", st[RVISOR_MEM_FILE_DIRTY]);
	rvisorfs_kb(m, "Writeback:", st[RVISOR_MEM_FILE_WRITEBACK]);
	rvisorfs_kb(m, "AnonPages:", st[RVISOR_MEM_ANON]);
	rvisorfs_kb(m, "Mapped:", st[RVISOR_MEM_FILE_MAPPED]);
	rvisorfs_kb(m, "Shmem:", st[RVISOR_MEM_SHMEM]);
	rvisorfs_kb(m, "KReclaimable:", st[RVISOR_MEM_SLAB_RECLAIMABLE]);
	rvisorfs_kb(m, "Slab:", slab);
	rvisorfs_kb(m, "SReclaimable:", st[RVISOR_MEM_SLAB_RECLAIMABLE]);
	rvisorfs_kb(m, "SUnreclaim:", st[RVISOR_MEM_SLAB_UNRECLAIMABLE]);
	rvisorfs_kb(m, "KernelStack:", st[RVISOR_MEM_KERNEL_STACK]);
	rvisorfs_kb(m, "PageTables:", st[RVISOR_MEM_PAGETABLES]);
	rvisorfs_kb(m, "SecPageTables:", 0);
	rvisorfs_kb(m, "NFS_Unstable:", 0);
	rvisorfs_kb(m, "Bounce:", 0);
	rvisorfs_kb(m, "WritebackTmp:", 0);
}

/* The huge page lines: no hugetlb pages of its own; transparent ones from memory.stat. */
static void rvisorfs_meminfo_huge(struct seq_file *m, const u64 *st)
{
	rvisorfs_kb(m, "AnonHugePages:", st[RVISOR_MEM_ANON_THP]);
	rvisorfs_kb(m, "ShmemHugePages:", st[RVISOR_MEM_SHMEM_THP]);
	rvisorfs_kb(m, "ShmemPmdMapped:", 0);
	rvisorfs_kb(m, "FileHugePages:", st[RVISOR_MEM_FILE_THP]);
	rvisorfs_kb(m, "FilePmdMapped:", 0);
	seq_printf(m, "HugePages_Total:   %5u\nHugePages_Free:    %5u\nHugePages_Rsvd:    %5u\n"
		   "HugePages_Surp:    %5u\n", 0, 0, 0, 0);
	rvisorfs_kb(m, "Hugepagesize:", HPAGE_SIZE);
	rvisorfs_kb(m, "Hugetlb:", 0);
}

/*
 * /proc/meminfo from the sandbox's memory cgroup: MemTotal its limit, MemFree the limit less
 * its charge, MemAvailable that plus its reclaimable page cache and slab; the rest from
 * memory.stat. CommitLimit is what the default overcommit ratio (50 %) makes of the limit.
 */
static int rvisorfs_show_meminfo(struct seq_file *m, void *v)
{
	struct rvisor_sandbox *sb = rvisorfs_sandbox(m);
	struct rvisor_view_mem mem;
	const u64 *st = mem.stat;
	u64 free, avail;

	if (!sb)
		return -ESRCH;
	rvisor_view_memory(sb, &mem);
	free = mem.total - mem.used;
	avail = min(mem.total, free + st[RVISOR_MEM_ACTIVE_FILE] + st[RVISOR_MEM_INACTIVE_FILE] +
			       st[RVISOR_MEM_SLAB_RECLAIMABLE]);
	rvisorfs_kb(m, "MemTotal:", mem.total);
	rvisorfs_kb(m, "MemFree:", free);
	rvisorfs_kb(m, "MemAvailable:", avail);
	rvisorfs_kb(m, "Buffers:", 0);
	rvisorfs_kb(m, "Cached:",
		    st[RVISOR_MEM_FILE] - min(st[RVISOR_MEM_FILE], st[RVISOR_MEM_SWAPCACHED]));
	rvisorfs_kb(m, "SwapCached:", st[RVISOR_MEM_SWAPCACHED]);
	rvisorfs_meminfo_lru(m, st);
	rvisorfs_kb(m, "SwapTotal:", mem.swap_total);
	rvisorfs_kb(m, "SwapFree:", mem.swap_total - mem.swap_used);
	rvisorfs_meminfo_kernel(m, st);
	rvisorfs_kb(m, "CommitLimit:", mem.total / 2 + mem.swap_total);
	rvisorfs_kb(m, "Committed_AS:", st[RVISOR_MEM_ANON] + st[RVISOR_MEM_SHMEM]);
	rvisorfs_kb(m, "VmallocTotal:", (u64)VMALLOC_TOTAL);
	rvisorfs_kb(m, "VmallocUsed:", st[RVISOR_MEM_VMALLOC]);
	rvisorfs_kb(m, "VmallocChunk:", 0);
	rvisorfs_kb(m, "Percpu:", st[RVISOR_MEM_PERCPU]);
	rvisorfs_meminfo_huge(m, st);
	return 0;
}

/* /proc/vmstat's lines that its memory cgroup has, in pages (kB for the stack, as there). */
static void rvisorfs_vmstat_lines(struct seq_file *m, const struct rvisor_view_mem *mem)
{
	const u64 *st = mem->stat;
	const struct {
		const char *name;
		u64 value;
	} lines[] = {
		{ "nr_free_pages", (mem->total - mem->used) >> PAGE_SHIFT },
		{ "nr_inactive_anon", st[RVISOR_MEM_INACTIVE_ANON] >> PAGE_SHIFT },
		{ "nr_active_anon", st[RVISOR_MEM_ACTIVE_ANON] >> PAGE_SHIFT },
		{ "nr_inactive_file", st[RVISOR_MEM_INACTIVE_FILE] >> PAGE_SHIFT },
		{ "nr_active_file", st[RVISOR_MEM_ACTIVE_FILE] >> PAGE_SHIFT },
		{ "nr_unevictable", st[RVISOR_MEM_UNEVICTABLE] >> PAGE_SHIFT },
		{ "nr_slab_reclaimable", st[RVISOR_MEM_SLAB_RECLAIMABLE] >> PAGE_SHIFT },
		{ "nr_slab_unreclaimable", st[RVISOR_MEM_SLAB_UNRECLAIMABLE] >> PAGE_SHIFT },
		{ "nr_anon_pages", st[RVISOR_MEM_ANON] >> PAGE_SHIFT },
		{ "nr_mapped", st[RVISOR_MEM_FILE_MAPPED] >> PAGE_SHIFT },
		{ "nr_file_pages", st[RVISOR_MEM_FILE] >> PAGE_SHIFT },
		{ "nr_dirty", st[RVISOR_MEM_FILE_DIRTY] >> PAGE_SHIFT },
		{ "nr_writeback", st[RVISOR_MEM_FILE_WRITEBACK] >> PAGE_SHIFT },
		{ "nr_shmem", st[RVISOR_MEM_SHMEM] >> PAGE_SHIFT },
		{ "nr_kernel_stack", st[RVISOR_MEM_KERNEL_STACK] >> 10 },
		{ "nr_page_table_pages", st[RVISOR_MEM_PAGETABLES] >> PAGE_SHIFT },
		{ "nr_swapcached", st[RVISOR_MEM_SWAPCACHED] >> PAGE_SHIFT },
		{ "pgfault", st[RVISOR_MEM_PGFAULT] },
		{ "pgmajfault", st[RVISOR_MEM_PGMAJFAULT] },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lines); i++)
		seq_printf(m, "%s %llu\n", lines[i].name, lines[i].value);
}

static int rvisorfs_show_vmstat(struct seq_file *m, void *v)
{
	struct rvisor_sandbox *sb = rvisorfs_sandbox(m);
	struct rvisor_view_mem mem;

	if (!sb)
		return -ESRCH;
	rvisor_view_memory(sb, &mem);
	rvisorfs_vmstat_lines(m, &mem);
	return 0;
}

static int rvisorfs_show_swaps(struct seq_file *m, void *v)
{
	struct rvisor_sandbox *sb = rvisorfs_sandbox(m);
	struct rvisor_view_mem mem;
	u64 size, used;

	if (!sb)
		return -ESRCH;
	seq_puts(m, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	rvisor_view_memory(sb, &mem);
	if (!mem.swap_total)
		return 0;
	/* its share of the host's swap, as one area without a name of its own */
	size = mem.swap_total >> 10;
	used = mem.swap_used >> 10;
	seq_printf(m, "%-40s%s\t%llu\t%s%llu\t%s%d\n", "none", "partition", size,
		   size < 10000000 ? "\t" : "", used, used < 10000000 ? "\t" : "", -2);
	return 0;
}

static int rvisorfs_show_diskstats(struct seq_file *m, void *v)
{
	return rvisorfs_sandbox(m) ? 0 : -ESRCH; /* no disks of its own */
}

/* cpu/online, cpu/possible, cpu/present: its CPUs, as a list ("0-1,4"). */
static int rvisorfs_show_cpus(struct seq_file *m, void *v)
{
	struct rvisor_sandbox *sb = rvisorfs_sandbox(m);
	cpumask_var_t cpus;

	if (!sb)
		return -ESRCH;
	if (!alloc_cpumask_var(&cpus, GFP_KERNEL))
		return -ENOMEM;
	rvisor_view_cpus(sb, cpus);
	seq_printf(m, "%*pbl\n", cpumask_pr_args(cpus));
	free_cpumask_var(cpus);
	return 0;
}

static u64 rvisorfs_clock_t(u64 ns)
{
	return div_u64(ns, NSEC_PER_SEC / USER_HZ);
}

/* Idle: its CPUs' time since it began, less the CPU time it used. */
static u64 rvisorfs_idle_ns(u64 age, unsigned int nr_cpus, const struct rvisor_view_cputime *ct)
{
	u64 all = age * nr_cpus;

	return all > ct->usage_ns ? all - ct->usage_ns : 0;
}

/* The ten columns after "cpu" or "cpuN": user, nice, system, idle, and six it has none of. */
static void rvisorfs_stat_cpu(struct seq_file *m, u64 user, u64 system, u64 idle)
{
	seq_printf(m, " %llu 0 %llu %llu 0 0 0 0 0 0\n", rvisorfs_clock_t(user),
		   rvisorfs_clock_t(system), rvisorfs_clock_t(idle));
}

/*
 * /proc/stat: the total and one line per CPU of the sandbox (its cpu.stat spread evenly over
 * them, idle from its age), its boot time (its creation), the last pid of its namespace and
 * its running and blocked tasks. No interrupts, context switches or softirqs of its own.
 */
static int rvisorfs_show_stat(struct seq_file *m, void *v)
{
	struct rvisor_sandbox *sb = rvisorfs_sandbox(m);
	struct rvisor_view_cputime ct;
	struct rvisor_view_tasks t;
	cpumask_var_t cpus;
	unsigned int n, cpu;
	u64 age, idle;

	if (!sb)
		return -ESRCH;
	if (!alloc_cpumask_var(&cpus, GFP_KERNEL))
		return -ENOMEM;
	age = rvisor_view_age_ns(sb);
	n = rvisor_view_cpus(sb, cpus);
	rvisor_view_cputime(sb, &ct);
	rvisor_view_tasks(sb, &t);
	idle = rvisorfs_idle_ns(age, n, &ct);

	seq_puts(m, "cpu ");
	rvisorfs_stat_cpu(m, ct.user_ns, ct.system_ns, idle);
	for_each_cpu(cpu, cpus) {
		seq_printf(m, "cpu%u", cpu);
		rvisorfs_stat_cpu(m, div_u64(ct.user_ns, n), div_u64(ct.system_ns, n), div_u64(idle, n));
	}
	seq_puts(m, "intr 0\nctxt 0\n");
	seq_printf(m, "btime %lld\n", (long long)(ktime_get_real_seconds() - div_u64(age, NSEC_PER_SEC)));
	seq_printf(m, "processes %d\nprocs_running %u\nprocs_blocked %u\n", max(t.last_pid, 0),
		   t.running, t.blocked);
	seq_puts(m, "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
	free_cpumask_var(cpus);
	return 0;
}

/* "SECONDS.CC": what /proc/uptime prints of a time. */
static void rvisorfs_seconds(struct seq_file *m, u64 ns, const char *end)
{
	u32 rem;
	u64 s = div_u64_rem(ns, NSEC_PER_SEC, &rem);

	seq_printf(m, "%llu.%02u%s", s, rem / (u32)(NSEC_PER_SEC / 100), end);
}

/* /proc/uptime: the sandbox's age and its CPUs' idle time. */
static int rvisorfs_show_uptime(struct seq_file *m, void *v)
{
	struct rvisor_sandbox *sb = rvisorfs_sandbox(m);
	struct rvisor_view_cputime ct;
	cpumask_var_t cpus;
	unsigned int n;
	u64 age;

	if (!sb)
		return -ESRCH;
	if (!alloc_cpumask_var(&cpus, GFP_KERNEL))
		return -ENOMEM;
	age = rvisor_view_age_ns(sb);
	n = rvisor_view_cpus(sb, cpus);
	free_cpumask_var(cpus);
	rvisor_view_cputime(sb, &ct);
	rvisorfs_seconds(m, age, " ");
	rvisorfs_seconds(m, rvisorfs_idle_ns(age, n, &ct), "\n");
	return 0;
}

/* /proc/loadavg: the sampled load of its own tasks, running/threads, its last pid. */
static int rvisorfs_show_loadavg(struct seq_file *m, void *v)
{
	struct rvisor_sandbox *sb = rvisorfs_sandbox(m);
	struct rvisor_view_tasks t;
	unsigned long l[3];
	unsigned int i;

	if (!sb)
		return -ESRCH;
	rvisor_view_loads(sb, l);
	for (i = 0; i < 3; i++)
		l[i] += FIXED_1 / 200; /* rounded as /proc/loadavg rounds */
	rvisor_view_tasks(sb, &t);
	seq_printf(m, "%lu.%02lu %lu.%02lu %lu.%02lu %u/%u %d\n", LOAD_INT(l[0]), LOAD_FRAC(l[0]),
		   LOAD_INT(l[1]), LOAD_FRAC(l[1]), LOAD_INT(l[2]), LOAD_FRAC(l[2]), t.running,
		   t.threads, max(t.last_pid, 0));
	return 0;
}

/* A whole file through a path, into a new buffer (kvfree it), NUL-terminated. */
static char *rvisorfs_read_path(const struct path *path, const struct cred *cred, size_t *ret_len)
{
	size_t size = 64 << 10, len = 0;
	char *buf = NULL, *bigger;
	struct file *f;
	loff_t pos = 0;
	ssize_t n;

	f = dentry_open(path, O_RDONLY, cred);
	if (IS_ERR(f))
		return ERR_CAST(f);
	for (;;) {
		if (!buf || len == size - 1) {
			if (buf && size >= RVISORFS_CPUINFO_MAX)
				break; /* the rest is cut off */
			bigger = kvmalloc(buf ? size * 2 : size, GFP_KERNEL);
			if (!bigger) {
				n = -ENOMEM;
				goto fail;
			}
			if (buf) {
				memcpy(bigger, buf, len);
				kvfree(buf);
				size *= 2;
			}
			buf = bigger;
		}
		n = kernel_read(f, buf + len, size - 1 - len, &pos);
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += n;
	}
	fput(f);
	buf[len] = '\0';
	*ret_len = len;
	return buf;

fail:
	fput(f);
	kvfree(buf);
	return ERR_PTR(n);
}

/* The blocks of the host's cpuinfo ("processor\t: N" to an empty line) of the sandbox's CPUs;
 * a block that names no processor is kept. */
static void rvisorfs_filter_cpuinfo(struct seq_file *m, const char *text, size_t len,
				    const struct cpumask *cpus)
{
	const char *p = text, *end = text + len, *next;
	unsigned int cpu;

	while (p < end) {
		next = strnstr(p, "\n\n", end - p);
		next = next ? next + 2 : end;
		if (sscanf(p, "processor : %u", &cpu) != 1 ||
		    (cpu < nr_cpu_ids && cpumask_test_cpu(cpu, cpus)))
			seq_write(m, p, next - p);
		p = next;
	}
}

/* /proc/cpuinfo: the mounter's, read through the procfs it had at mount time, with the blocks
 * of the sandbox's CPUs only (under their own numbers). */
static int rvisorfs_show_cpuinfo(struct seq_file *m, void *v)
{
	struct rvisorfs_info *info = m->private;
	struct rvisor_sandbox *sb = rvisorfs_sandbox(m);
	cpumask_var_t cpus;
	size_t len;
	char *text;

	if (!sb)
		return -ESRCH;
	if (!alloc_cpumask_var(&cpus, GFP_KERNEL))
		return -ENOMEM;
	rvisor_view_cpus(sb, cpus);
	text = rvisorfs_read_path(&info->cpuinfo, info->cred, &len);
	if (!IS_ERR(text)) {
		rvisorfs_filter_cpuinfo(m, text, len, cpus);
		kvfree(text);
	}
	free_cpumask_var(cpus);
	return PTR_ERR_OR_ZERO(text);
}

/* ---- the tree ------------------------------------------------------------------------- */

#define RVISORFS_FILE(n, i, fn, pc) { .name = (n), .mode = S_IFREG | 0444, .ino = (i), \
				      .show = (fn), .per_cpu = (pc) }

static const struct rvisorfs_entry rvisorfs_cpu_dir[] = {
	RVISORFS_FILE("online", 11, rvisorfs_show_cpus, 0),
	RVISORFS_FILE("possible", 12, rvisorfs_show_cpus, 0),
	RVISORFS_FILE("present", 13, rvisorfs_show_cpus, 0),
	{}
};

static const struct rvisorfs_entry rvisorfs_root_dir[] = {
	RVISORFS_FILE("meminfo", 2, rvisorfs_show_meminfo, 0),
	RVISORFS_FILE("cpuinfo", 3, rvisorfs_show_cpuinfo, 2048),
	RVISORFS_FILE("stat", 4, rvisorfs_show_stat, 128),
	RVISORFS_FILE("uptime", 5, rvisorfs_show_uptime, 0),
	RVISORFS_FILE("loadavg", 6, rvisorfs_show_loadavg, 0),
	RVISORFS_FILE("swaps", 7, rvisorfs_show_swaps, 0),
	RVISORFS_FILE("vmstat", 8, rvisorfs_show_vmstat, 0),
	RVISORFS_FILE("diskstats", 9, rvisorfs_show_diskstats, 0),
	{ .name = "cpu", .mode = S_IFDIR | 0555, .ino = 10, .children = rvisorfs_cpu_dir },
	{}
};

static const struct rvisorfs_entry rvisorfs_root = {
	.name = "/", .mode = S_IFDIR | 0555, .ino = 1, .children = rvisorfs_root_dir,
};

static int rvisorfs_open(struct inode *inode, struct file *file)
{
	const struct rvisorfs_entry *e = inode->i_private;

	return single_open_size(file, e->show, inode->i_sb->s_fs_info,
				PAGE_SIZE + e->per_cpu * num_online_cpus());
}

static const struct file_operations rvisorfs_file_fops = {
	.open = rvisorfs_open,
	.read_iter = seq_read_iter,
	.llseek = seq_lseek,
	.release = single_release,
};

static const struct rvisorfs_entry *rvisorfs_find(const struct rvisorfs_entry *dir,
						  const struct qstr *name)
{
	const struct rvisorfs_entry *e;

	for (e = dir->children; e->name; e++)
		if (strlen(e->name) == name->len && !memcmp(e->name, name->name, name->len))
			return e;
	return NULL;
}

static struct inode *rvisorfs_inode(struct super_block *s, const struct rvisorfs_entry *e);

static struct dentry *rvisorfs_lookup(struct inode *dir, struct dentry *dentry, unsigned int flags)
{
	const struct rvisorfs_entry *e = rvisorfs_find(dir->i_private, &dentry->d_name);
	struct inode *inode = NULL;

	if (e) {
		inode = rvisorfs_inode(dir->i_sb, e);
		if (!inode)
			return ERR_PTR(-ENOMEM);
	}
	return d_splice_alias(inode, dentry); /* NULL: a negative dentry */
}

static int rvisorfs_readdir(struct file *file, struct dir_context *ctx)
{
	const struct rvisorfs_entry *dir = file_inode(file)->i_private, *e;
	loff_t i;

	if (!dir_emit_dots(file, ctx))
		return 0;
	for (i = 2, e = dir->children; e->name; i++, e++) {
		if (i < ctx->pos)
			continue;
		if (!dir_emit(ctx, e->name, strlen(e->name), e->ino,
			      S_ISDIR(e->mode) ? DT_DIR : DT_REG))
			return 0;
		ctx->pos = i + 1;
	}
	return 0;
}

static const struct inode_operations rvisorfs_dir_iops = {
	.lookup = rvisorfs_lookup,
};

static const struct file_operations rvisorfs_dir_fops = {
	.read = generic_read_dir,
	.iterate_shared = rvisorfs_readdir,
	.llseek = generic_file_llseek,
};

static struct inode *rvisorfs_inode(struct super_block *s, const struct rvisorfs_entry *e)
{
	const struct rvisorfs_entry *c;
	struct inode *inode = new_inode(s);
	unsigned int nlink = 2;

	if (!inode)
		return NULL;
	inode->i_ino = e->ino;
	inode->i_mode = e->mode;
	inode->i_private = (void *)e;
	rvisor_inode_init_ts(inode);
	if (S_ISDIR(e->mode)) {
		inode->i_op = &rvisorfs_dir_iops;
		inode->i_fop = &rvisorfs_dir_fops;
		for (c = e->children; c->name; c++)
			nlink += S_ISDIR(c->mode);
		set_nlink(inode, nlink);
	} else {
		inode->i_fop = &rvisorfs_file_fops;
	}
	return inode;
}

/* ---- the superblock and mounting -------------------------------------------------------- */

static int rvisorfs_show_options(struct seq_file *m, struct dentry *root)
{
	const struct rvisorfs_info *info = root->d_sb->s_fs_info;

	seq_printf(m, ",sandbox=%llu", info->sb->id);
	return 0;
}

static const struct super_operations rvisorfs_super_ops = {
	.statfs = simple_statfs,
	.show_options = rvisorfs_show_options,
};

static int rvisorfs_fill_super(struct super_block *s, struct fs_context *fc)
{
	struct rvisorfs_ctx *ctx = fc->fs_private;
	struct inode *root;

	s->s_fs_info = ctx->info; /* kill_sb frees it from now on, also when this fails */
	ctx->info = NULL;
	s->s_magic = RVISORFS_MAGIC;
	s->s_op = &rvisorfs_super_ops;
	s->s_blocksize = PAGE_SIZE;
	s->s_blocksize_bits = PAGE_SHIFT;
	s->s_time_gran = 1;
	s->s_flags |= SB_RDONLY;
	root = rvisorfs_inode(s, &rvisorfs_root);
	if (!root)
		return -ENOMEM;
	s->s_root = d_make_root(root);
	return s->s_root ? 0 : -ENOMEM;
}

/*
 * Who may mount, as the UAPI header says: not a task of a sandbox (whatever it holds), and
 * only with the manager's open /dev/rvisor and one of its sandboxes that is not being
 * destroyed. Then the mounter's /proc/cpuinfo, which must be procfs's own: a file bound over
 * it (an rvisorfs file, in a sandbox) is refused, so cpuinfo never reads itself.
 */
static int rvisorfs_authorise(struct rvisorfs_ctx *ctx)
{
	struct rvisorfs_info *info;
	struct file *dev;
	bool manager;

	if (rvisor_current_sandboxed())
		return -EPERM;
	if (!ctx->has_fd || !ctx->has_id)
		return -EINVAL;
	dev = fget(ctx->fd);
	manager = rvisor_control_is_manager(dev);
	if (dev)
		fput(dev);
	if (!manager)
		return -EPERM;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	ctx->info = info; /* freed with the context unless fill_super takes it */
	info->sb = rvisor_sandbox_get(ctx->id);
	if (!info->sb)
		return -ENOENT;
	if (kern_path("/proc/cpuinfo", LOOKUP_FOLLOW, &info->cpuinfo) < 0)
		return -EINVAL;
	if (info->cpuinfo.dentry->d_sb->s_magic != PROC_SUPER_MAGIC)
		return -EINVAL;
	info->cred = get_current_cred();
	return 0;
}

static int rvisorfs_get_tree(struct fs_context *fc)
{
	int r = rvisorfs_authorise(fc->fs_private);

	if (r < 0)
		return r;
	return get_tree_nodev(fc, rvisorfs_fill_super); /* a superblock per mount */
}

enum { RVISORFS_OPT_FD, RVISORFS_OPT_SANDBOX };

static const struct fs_parameter_spec rvisorfs_params[] = {
	fsparam_u32("fd", RVISORFS_OPT_FD),
	fsparam_u64("sandbox", RVISORFS_OPT_SANDBOX),
	{}
};

static int rvisorfs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct rvisorfs_ctx *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt = fs_parse(fc, rvisorfs_params, param, &result);

	if (opt < 0)
		return opt; /* -ENOPARAM: "source", or unknown (the VFS says -EINVAL) */
	if (opt == RVISORFS_OPT_FD) {
		ctx->fd = result.uint_32;
		ctx->has_fd = true;
	} else {
		ctx->id = result.uint_64;
		ctx->has_id = true;
	}
	return 0;
}

/* Always read-only: a remount may not make it writable. */
static int rvisorfs_reconfigure(struct fs_context *fc)
{
	return (fc->sb_flags & SB_RDONLY) ? 0 : -EINVAL;
}

static void rvisorfs_free_fc(struct fs_context *fc)
{
	struct rvisorfs_ctx *ctx = fc->fs_private;

	if (ctx)
		rvisorfs_info_free(ctx->info);
	kfree(ctx);
}

static const struct fs_context_operations rvisorfs_context_ops = {
	.free = rvisorfs_free_fc,
	.parse_param = rvisorfs_parse_param,
	.get_tree = rvisorfs_get_tree,
	.reconfigure = rvisorfs_reconfigure,
};

static int rvisorfs_init_fs_context(struct fs_context *fc)
{
	fc->fs_private = kzalloc(sizeof(struct rvisorfs_ctx), GFP_KERNEL);
	if (!fc->fs_private)
		return -ENOMEM;
	fc->ops = &rvisorfs_context_ops;
	return 0;
}

static void rvisorfs_kill_sb(struct super_block *s)
{
	struct rvisorfs_info *info = s->s_fs_info;

	kill_anon_super(s);
	rvisorfs_info_free(info);
}

/* Not FS_USERNS_MOUNT: mounting needs CAP_SYS_ADMIN in the initial user namespace. */
static struct file_system_type rvisorfs_type = {
	.owner = THIS_MODULE,
	.name = RVISORFS_NAME,
	.init_fs_context = rvisorfs_init_fs_context,
	.parameters = rvisorfs_params,
	.kill_sb = rvisorfs_kill_sb,
};

int rvisorfs_init(void)
{
	int r = register_filesystem(&rvisorfs_type);

	if (r < 0)
		pr_err(RVISOR_LOG_PREFIX "cannot register %s: %d\n", RVISORFS_NAME, r);
	return r;
}

void rvisorfs_exit(void)
{
	unregister_filesystem(&rvisorfs_type);
}
