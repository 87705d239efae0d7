import { getProfile, loadAccount } from '@/app/actions/profile';
import { DisplayNameForm } from './display-name-form';

export async function ProfileCard() {
  const profile = await getProfile();
  const account = await loadAccount();
  return (
    <section>
      <h2>{profile.name ?? profile.email}</h2>
      <p>{account?.plan}</p>
      <DisplayNameForm />
    </section>
  );
}
